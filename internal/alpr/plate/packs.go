package plate

import (
	"slices"
	"strings"
)

// packDef is the definition of one region's pack.
type packDef struct {
	noFormat float64
	specs    []spec
	free     freeText // texts that fit no format and may still be plates
	signs    []string // texts that are no plate (Pack.Sign)
	vanity   vanity   // plates whose text fits no format (Pack.Vanity)
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
	// usLetter: most US states issue no I, O or Q (they read as 1 and 0),
	// so a US layout reads a 0 or 1 at a letter position as no letter
	// rather than bending it into O or I (see usIOQ for the states that do).
	usLetter = "[A-HJ-NPR-Z]"
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

// usLayout is one US layout: L a letter, D a digit, and its prior.
type usLayout struct {
	pattern string
	weight  float64
}

// usIOQ is the prior of a common US layout (weight 1) whose letters
// include I, O or Q. Many states issue them (Q in Iowa, Mississippi, Ohio,
// Oregon, Tennessee...; O in Arkansas, California, Louisiana...): 39 of the
// 745 labels of openalpr-us-crops fit a common layout only with them, as
// NOX226, 576PBQ, 6LIK274 (440 fit a layout in all). A reading of such a
// plate has a plate's syntax, which a box the detector is not sure of
// needs to be read at all. The prior is just above the catch-all's (0.85),
// so that an I, O or Q the reader read makes the layout; and below 0.85 /
// 0.95 (the O/0 lookalike factor), so that a 0 or 1 the reader read, even
// barely (AB0123, 0 at 0.55, O at 0.4), is never bent into the letter: an
// O where most states issue none is the less likely.
const usIOQ = 0.855

// usSpecs are the specs of the US layouts: each with usLetter at its
// weight, the common ones also with any letter at usIOQ, and the catch-all.
func usSpecs(layouts []usLayout) []spec {
	var out []spec
	for _, l := range layouts {
		out = append(out, spec{name: "us", pattern: strings.ReplaceAll(l.pattern, "L", usLetter), weight: l.weight})
		if l.weight == 1 {
			out = append(out, spec{name: "us", pattern: l.pattern, weight: usIOQ})
		}
	}
	// Vanity plates: any 5–8 alphanumerics.
	return append(out, spec{name: "us-any", pattern: "A{5,8}", weight: 0.85, catchAll: true})
}

// signWords are lines of road signs and vehicle markings, as the reader
// reads a line (no spaces). A white board with black letters is what a
// plate looks like, so the detector may be sure of one; read alone, such a
// line is no plate, even where vanity plates are words: a fleet vehicle
// passes signs all day, and a vanity plate that spells one is rare. The
// lines are the legends of the common regulatory and warning signs (the US
// MUTCD's; Europe's use symbols, with STOP, ZONE and TAXI in words)
// and the markings of emergency vehicles.
var signWords = []string{
	"STOP", "ALLWAY", "YIELD", "SPEED", "LIMIT", "ONEWAY", "DONOT", "ENTER",
	"WRONGWAY", "NOPARKING", "PARKING", "TOWAWAY", "ANYTIME", "ZONE", "SCHOOL",
	"EXIT", "ONLY", "AHEAD", "MERGE", "DETOUR", "ROADWORK", "ROAD", "WORK",
	"CLOSED", "ENDS", "LANE", "SLOW", "KEEPRIGHT", "KEEPLEFT", "XING", "TRUCKS",
	"TAXI", "POLICE", "SHERIFF", "FIRE", "RESCUE", "AMBULANCE", "EMERGENCY",
	"POLIZEI", "POLIZIA", "POLICIA", "POLITIE", "POLICJA", "POLICIE",
}

// usVanity: a US plate is 12 by 6 inches, so its box is at most about
// twice as wide as high (less when the car is turned); a line of a sign or
// of a van's lettering read in a box the detector was unsure of is wider
// (the agent's no-plate test: ACME PLUMBING in boxes 2.7 to 3.5 times as
// wide as high). A vanity plate spells a word or a name, so it has letters;
// the dash camera's date, time and speed overlays and the phone numbers on
// vans are digits.
var usVanity = vanity{minLetters: 2, maxAspect: 2.4}

// usStates are the names of the US states as the reader reads them (no
// spaces): the banner of a plate, read alone where its number is too far
// or blurred to read, is no plate, whatever the box.
var usStates = []string{
	"ALABAMA", "ALASKA", "ARIZONA", "ARKANSAS", "CALIFORNIA", "COLORADO", "CONNECTICUT",
	"DELAWARE", "FLORIDA", "GEORGIA", "HAWAII", "IDAHO", "ILLINOIS", "INDIANA", "IOWA",
	"KANSAS", "KENTUCKY", "LOUISIANA", "MAINE", "MARYLAND", "MASSACHUSETTS", "MICHIGAN",
	"MINNESOTA", "MISSISSIPPI", "MISSOURI", "MONTANA", "NEBRASKA", "NEVADA", "NEWHAMPSHIRE",
	"NEWJERSEY", "NEWMEXICO", "NEWYORK", "NORTHCAROLINA", "NORTHDAKOTA", "OHIO", "OKLAHOMA",
	"OREGON", "PENNSYLVANIA", "RHODEISLAND", "SOUTHCAROLINA", "SOUTHDAKOTA", "TENNESSEE",
	"TEXAS", "UTAH", "VERMONT", "VIRGINIA", "WASHINGTON", "WESTVIRGINIA", "WISCONSIN", "WYOMING",
}

// packDefs are the format packs by region. Weights are priors: 1 for a
// layout that a plate of the region commonly has, less for a permissive
// catch-all or a rarer layout; noFormat is the prior of a text that fits no
// layout. They rank readings only; see [Pack.Candidates].
var packDefs = map[string]packDef{
	// US plates differ by state and vanity plates are common, so the pack
	// mostly scores: the layouts most states issue get full weight, those
	// of a few states 0.9, and any 5–8 alphanumerics still count as a US
	// plate, with a lower weight. Left to the catch-all: layouts of digits
	// alone (Delaware, Rhode Island, New Hampshire), for a timestamp overlay
	// is all digits; of five characters, for a six-character plate whose
	// edge character the box cut reads as five; and AB1234 (DC, older
	// Virginia), for ABC1234, the most common layout, reads so when its
	// first letter is cut or too far to read.
	"us": {noFormat: 0.7, signs: slices.Concat(signWords, usStates), vanity: usVanity, specs: usSpecs([]usLayout{
		{"LLLDDDD", 1},   // ABC1234: NY, TX, PA, OH, GA, MI, VA, WA, AZ...
		{"DLLLDDD", 1},   // 1ABC234: CA
		{"LLLDDD", 1},    // ABC123
		{"DDDLLL", 1},    // 123ABC
		{"LLDDDDD", 1},   // AB12345: IL
		{"DLLDDD", 1},    // 1AB234: MA
		{"DLLLDD", 1},    // 1ABC23
		{"LDDLLL", 1},    // A12BCD: NJ
		{"LLLLDD", 1},    // ABCD12: FL
		{"LLLDLD", 1},    // ABC1D2: FL, CO
		{"DLLDDDD", 1},   // 1AB2345: MD
		{"LLLDDL", 1},    // ABC12D: NJ
		{"DDDDLL", 0.9},  // 1234AB: VA, ME, IA
		{"LDDDDDD", 0.9}, // A123456: IL, LA, MD
		{"LLDLDDD", 0.9}, // AB1C234: TX
		{"DDLLDD", 0.9},  // 12AB34: MA
		{"DDDLLD", 0.9},  // 123AB4: MA
		{"LDDDLL", 0.9},  // A123BC: FL, UT
		{"DLDDDD", 0.9},  // 1A2345: NE, WV
		{"LLDLDL", 0.9},  // AB1C2D: MO
	})},
	// Europe: a set of national layouts; any of them is accepted and the
	// best scoring one wins. Slovak and Czech layouts (most of the fleet we
	// are measured on) weigh 1, the others 0.9: enough to settle an O/0 or I/1
	// doubt for the Slovak reading (those plates draw the pairs alike), too
	// little to bend a confident Polish or German read into a Slovak layout.
	// A text that fits none (a vanity plate, a country not listed) is kept
	// when the OCR is sure of it.
	"eu": {noFormat: 0.8, signs: signWords, specs: slices.Concat([]spec{
		{name: "sk", pattern: "LLDDDLL", weight: 1},                        // BA123AB
		{name: "cz", pattern: czRegion + "DDDDD", weight: 1},               // 1A23456: the series starts with digits
		{name: "cz", pattern: czRegion + czLetter + "DDDD", weight: 0.9},   // 1AB2345: later series
		{name: "de", pattern: "L{2,5}[1-9]D{0,3}", weight: 0.9, maxLen: 8}, // district 1–3, letters 1–2, number 1–9999
	}, plSpecs(), []spec{
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
	})},
	// Brazil: the old grey plates LLL9999, and Mercosul LLL9L99 (rarer in
	// the fleet we see, and its fifth letter is mostly the old digit
	// re-coded, so an O there is more likely an old plate's 0).
	// A foreign plate read in Brazil (Argentina's AB123CD, say) has seven
	// characters, three of them digits, as Brazil's have at least: a text
	// that fits no format is a plate only when it has them too.
	"br": {noFormat: 0.6, specs: []spec{
		{name: "br-old", pattern: "LLLDDDD", weight: 1},
		{name: "br-mercosul", pattern: "LLLDLDD", weight: 0.9},
	}, free: freeText{minLen: 7, maxLen: 7, minDigits: 3}},
}

// plVoivodeship: the first letter of a Polish district code names its
// voivodeship.
const plVoivodeship = "[BCDEFGKLNOPRSTWZ]"

// plCities are the second letters of the two-letter Polish district codes
// (the cities; other districts have three letters), by voivodeship letter:
// BI Białystok, CB Bydgoszcz, DW Wrocław, KR Kraków, PO Poznań, SK
// Katowice, WA–WY Warsaw... A two-letter code outside them (Bratislava's
// BA on an old Slovak plate that reads as BA2681M) is no Polish plate.
var plCities = []struct{ voivodeship, second string }{
	{"B", "ILS"}, {"C", "BGTW"}, {"D", "BJLWX"}, {"E", "LPS"}, {"F", "GZ"},
	{"G", "ADS"}, {"K", "KNRT"}, {"L", "BCUZ"}, {"N", "EO"}, {"O", "P"},
	{"P", "KLNOY"}, {"R", "KPTZ"}, {"S", "BCDGHIJKLMOPRTWYZ"}, {"T", "K"},
	{"W", "ABDEFHIJKNOPRSTUWXY"}, {"Z", "KSZ"},
}

// plSpecs are the Polish layouts: a two-letter city code with five
// characters, a three-letter district code with four or five, in the
// patterns the registration rules allow, and the diplomatic plates (white
// on blue: the voivodeship letter and six digits, W 123456).
func plSpecs() []spec {
	two := []string{ // after a two-letter code
		"DDDDD",                  // WA12345
		"DDDD" + plLetter,        // WA1234A
		"DDD" + plLetter + "{2}", // WA123AC
		"D" + plLetter + "DDD",   // WA1A234
		"D" + plLetter + "{2}DD", // WA1AC23
	}
	three := []string{ // after a three-letter code
		"DDDD",                  // WSQ1234
		"DDDDD",                 // WSQ12345
		plLetter + "DDD",        // WSQA123
		"DD" + plLetter + "{2}", // WSQ12AC
		"D" + plLetter + "DD",   // WSQ1A23
		"DD" + plLetter + "D",   // WSQ12A3
		"D" + plLetter + "{2}D", // WSQ1AC2
		"DDD" + plLetter,        // WSQ123A
	}
	var out []spec
	for _, c := range plCities {
		for _, t := range two {
			out = append(out, spec{name: "pl", pattern: "[" + c.voivodeship + "][" + c.second + "]" + t, weight: 0.9})
		}
	}
	for _, t := range three {
		out = append(out, spec{name: "pl", pattern: plVoivodeship + "LL" + t, weight: 0.9})
	}
	return append(out, spec{name: "pl", pattern: plVoivodeship + "DDDDDD", weight: 0.9})
}
