package plate

// packDef is the definition of one region's pack.
type packDef struct {
	noFormat float64
	specs    []spec
}

// Letter sets of national layouts.
const (
	// plLetter: Polish plates leave B, D, I, O and Z out of the part after
	// the district, for they look like 8, 0, 1, 0 and 2.
	plLetter = "[ACEFGHJ-NPR-Y]"
	// czRegion: the region letters of Czech plates (and its leading digit).
	czRegion = "D[ABCEHJKLMPSTUZ]"
	// czLetter: letters of later Czech series (G, O, Q and W are not used).
	czLetter = "[A-FH-NPR-VX-Z]"
	// gbLetter: UK plates use no I or Q; gbYear: nor O, U or Z as the year
	// letter of the older prefix and suffix plates.
	gbLetter = "[A-HJ-PR-Z]"
	gbYear   = "[A-HJ-NPR-TV-Y]"
	// gbSerial: the serial number of the older UK plates, 1–999; like the
	// German number (1–9999) it never starts with 0, so a word ending in O
	// (a badge, a sign) does not become one of those plates by reading its
	// O as 0.
	gbSerial = "[1-9]D{0,2}"
)

// packDefs are the format packs by region. Weights are priors: 1 for a
// layout that a plate of the region commonly has, less for a permissive
// catch-all or a rarer layout; noFormat is the prior of a text that fits no
// layout. They rank readings only; see [Pack.Candidates].
var packDefs = map[string]packDef{
	// US plates differ by state and vanity plates are common, so the pack
	// mostly scores: the common layouts get full weight and any 5–8
	// alphanumerics still count as a US plate, with a lower weight.
	"us": {noFormat: 0.7, specs: []spec{
		{name: "us", pattern: "LLLDDDD", weight: 1}, // ABC1234: NY, TX, PA, OH, GA, MI, VA, WA, AZ...
		{name: "us", pattern: "DLLLDDD", weight: 1}, // 1ABC234: CA
		{name: "us", pattern: "LLLDDD", weight: 1},  // ABC123
		{name: "us", pattern: "DDDLLL", weight: 1},  // 123ABC
		{name: "us", pattern: "LLDDDDD", weight: 1}, // AB12345: IL
		{name: "us", pattern: "DLLDDD", weight: 1},  // 1AB234: MA
		{name: "us", pattern: "DLLLDD", weight: 1},  // 1ABC23
		{name: "us", pattern: "LDDLLL", weight: 1},  // A12BCD: NJ
		{name: "us", pattern: "LLLLDD", weight: 1},  // ABCD12: FL
		{name: "us", pattern: "LLLDLD", weight: 1},  // ABC1D2: FL, CO
		{name: "us-any", pattern: "A{5,8}", weight: 0.85, catchAll: true},
	}},
	// Europe: a set of national layouts; any of them is accepted and the
	// best scoring one wins. Slovak and Czech layouts (most of the fleet we
	// are measured on) weigh 1, the others 0.9: enough to settle an O/0 or I/1
	// doubt for the Slovak reading (those plates draw the pairs alike), too
	// little to bend a confident Polish or German read into a Slovak layout.
	// A text that fits none (a vanity plate, a country not listed) is kept
	// when the OCR is sure of it.
	"eu": {noFormat: 0.8, specs: []spec{
		{name: "sk", pattern: "LLDDDLL", weight: 1},                               // BA123AB
		{name: "cz", pattern: czRegion + "DDDDD", weight: 1},                      // 1A23456: the series starts with digits
		{name: "cz", pattern: czRegion + czLetter + "DDDD", weight: 0.9},          // 1AB2345: later series
		{name: "de", pattern: "L{2,5}[1-9]D{0,3}", weight: 0.9, maxLen: 8},        // district 1–3, letters 1–2, number 1–9999
		{name: "pl", pattern: "LLDDDDD", weight: 0.9},                             // WA12345
		{name: "pl", pattern: "LLDDDD" + plLetter, weight: 0.9},                   // WA1234A
		{name: "pl", pattern: "LLDDD" + plLetter + "{2}", weight: 0.9},            // WA123AC
		{name: "pl", pattern: "LLD" + plLetter + "DDD", weight: 0.9},              // WA1A234
		{name: "pl", pattern: "LLD" + plLetter + "{2}DD", weight: 0.9},            // WA1AC23
		{name: "pl", pattern: "LLLDDDD", weight: 0.9},                             // WSQ1234
		{name: "pl", pattern: "LLLDDDDD", weight: 0.9},                            // WSQ12345
		{name: "pl", pattern: "LLL" + plLetter + "DDD", weight: 0.9},              // WSQA123
		{name: "pl", pattern: "LLLDD" + plLetter + "{2}", weight: 0.9},            // WSQ12AC
		{name: "pl", pattern: "LLLD" + plLetter + "DD", weight: 0.9},              // WSQ1A23
		{name: "pl", pattern: "LLLDD" + plLetter + "D", weight: 0.9},              // WSQ12A3
		{name: "pl", pattern: "LLLD" + plLetter + "{2}D", weight: 0.9},            // WSQ1AC2
		{name: "pl", pattern: "LLLDDD" + plLetter, weight: 0.9},                   // WSQ123A
		{name: "gb", pattern: gbLetter + "{2}DD" + gbLetter + "{3}", weight: 0.9}, // AB12CDE
		{name: "gb", pattern: gbYear + gbSerial + gbLetter + "{3}", weight: 0.9},  // A123BCD (prefix)
		{name: "gb", pattern: gbLetter + "{3}" + gbSerial + gbYear, weight: 0.9},  // ABC123D (suffix)
		{name: "it", pattern: "LLDDDLL", weight: 1},                               // AB123CD
		{name: "fr", pattern: "LLDDDLL", weight: 1},                               // AB123CD
		{name: "hu", pattern: "LLLDDD", weight: 0.9},                              // ABC123
		{name: "hu", pattern: "LLLLDDD", weight: 0.9},                             // AAAA123
		{name: "es", pattern: "DDDDLLL", weight: 0.9},                             // 1234BCD
		{name: "be", pattern: "DLLLDDD", weight: 0.9},                             // 1ABC234
		{name: "ro", pattern: "LD{2,3}LLL", weight: 0.9},                          // B12ABC, B123ABC
	}},
	// Brazil: the old grey plates LLL9999, and Mercosul LLL9L99 (rarer in
	// the fleet we see, and its fifth letter is mostly the old digit
	// re-coded, so an O there is more likely an old plate's 0).
	"br": {noFormat: 0.6, specs: []spec{
		{name: "br-old", pattern: "LLLDDDD", weight: 1},
		{name: "br-mercosul", pattern: "LLLDLDD", weight: 0.9},
	}},
}
