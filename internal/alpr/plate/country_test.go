package plate

import "testing"

// TestCountryChoosesItsLayout: the same OCR positions read as the plate of
// the country a strip names. Without a country (or an unknown one) the
// reading is the pack's own choice.
func TestCountryChoosesItsLayout(t *testing.T) {
	eu := mustPack(t, "eu")
	for _, tt := range []struct {
		text, country, want, format string
	}{
		// A confident 1 where Slovak plates have a letter: the text fits a
		// Polish layout as read (PO: Poznań, and Prešov in Slovakia), the
		// Slovak one with I for 1.
		{"PO2681M", "", "PO2681M", "pl"},
		{"PO2681M", "xx", "PO2681M", "pl"},
		{"PO2681M", "pl", "PO2681M", "pl"},
		{"PO2681M", "sk", "PO268IM", "sk/it/fr"},
		{"PO2681M", "it", "PO268IM", "sk/it/fr"},
		// BA is no Polish district (Bratislava's code on an old Slovak plate
		// with no strip): the Slovak reading wins without a country.
		{"BA2681M", "", "BA268IM", "sk/it/fr"},
		// A Polish plate read as such, and its 8 kept against the Slovak B
		// unless the strip says Slovakia.
		{"WY1238S", "", "WY1238S", "pl"},
		{"WY1238S", "sk", "WY123BS", "sk/it/fr"},
		// A Czech plate stays Czech; a costly lookalike (8 for B) is not
		// forced even for the strip's country.
		{"1A02345", "cz", "1A02345", "cz"},
		{"1802345", "cz", "1802345", ""},
		// A German plate stays German whatever the strip, when no layout of
		// the named country is near.
		{"BMW1234", "sk", "BMW1234", "de"},
	} {
		got := eu.Country(tt.country).Candidates(chars(tt.text, 0.95), 3)
		if len(got) == 0 || got[0].Text != tt.want || got[0].Format != tt.format {
			t.Errorf("%s from %q: top = %s, want %s (%s)", tt.text, tt.country, describe(got), tt.want, tt.format)
		}
	}
}

// TestCountryViews: a view exists for each country of the pack and keeps
// the pack's region; an unknown name gives the pack itself.
func TestCountryViews(t *testing.T) {
	eu := mustPack(t, "eu")
	for _, c := range []string{"sk", "cz", "de", "pl", "gb", "it", "fr", "hu", "es", "be", "ro"} {
		v := eu.Country(c)
		if v == eu || v.Name() != "eu" {
			t.Errorf("country %s: view %p of %q, want a view of eu", c, v, v.Name())
		}
	}
	if eu.Country("") != eu || eu.Country("ua") != eu {
		t.Error("an unknown country changed the pack")
	}
}
