package plate

import (
	"slices"
	"strings"
)

// otherCountry scales the prior of the layouts of other countries in a pack
// seen from one country (see [Pack.Country]): low enough that a confident
// character is turned into its lookalike (1 into I, at a cost of 0.85) to fit
// the country's layout rather than kept in another country's, high enough
// that those layouts still beat a text that fits none.
const otherCountry = 0.6

// Country returns the pack as seen on a plate known to be of country (a
// format name such as "sk" or "pl"): the layouts of that country weigh 1
// and those of the others otherCountry times their weight, so that the
// readings fitting the country's layouts come first. It returns p itself
// when no layout of the pack belongs to country. The views are made once
// per pack and country; Country is safe for concurrent use.
func (p *Pack) Country(country string) *Pack {
	if v, ok := p.countries[country]; ok {
		return v
	}
	return p
}

// countryViews makes the view of p from each country its formats name.
func (p *Pack) countryViews() map[string]*Pack {
	views := map[string]*Pack{}
	for i := range p.formats {
		for _, c := range strings.Split(p.formats[i].name, "/") {
			if _, ok := views[c]; ok || p.formats[i].catchAll {
				continue
			}
			v := *p
			v.countries = nil
			v.formats = slices.Clone(p.formats)
			for j := range v.formats {
				f := &v.formats[j]
				if ofCountry(f.name, c) {
					f.weight = 1
				} else {
					f.weight *= otherCountry
				}
			}
			views[c] = &v
		}
	}
	return views
}

// ofCountry reports whether the format name (countries joined by "/")
// names country.
func ofCountry(name, country string) bool {
	return slices.Contains(strings.Split(name, "/"), country)
}
