// Package plate turns the OCR's raw character readings into plate readings:
// format packs per region (US, EU, BR), position-aware confusion fixing
// (O/0, I/1, B/8, S/5, Z/2) guided by the format, and top-N candidates.
package plate

// Alt is one possible character at a position, with its probability.
type Alt struct {
	R rune    // 'A'..'Z' or '0'..'9'
	P float64 // 0..1
}

// Char is one recognised character position: its alternatives, best first.
// The OCR keeps a few alternatives per position (from the CTC step
// probabilities restricted to the plate alphabet) so that the format can pick
// a less likely character where the likely one cannot stand.
type Char struct {
	Alts []Alt
}

// Reading is one candidate text for a plate.
type Reading struct {
	Text      string
	Conf      float64   // 0..1, the product-derived confidence of the whole text
	CharConfs []float64 // one per rune of Text
	Format    string    // name of the matched format ("us", "br-old", "sk", ...) or "" when none matched
	Region    string    // region of the matched format, "" when none matched
	// Layout is true when Format is one of the region's plate layouts, not
	// its catch-all (such as "us-any": any 5–8 characters, for vanity
	// plates) and not none: the text has the syntax of the region's plates,
	// which shop signs, state names and slogans seldom have.
	Layout bool
}
