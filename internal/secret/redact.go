package secret

import (
	"regexp"
	"strings"
)

// Mask replaces a secret in what Redact returns.
const Mask = "xxxxx"

var (
	// userinfo is the user[:password]@ of a URL, parsable or not: after
	// "scheme://", up to the last '@' before the host's end. A password
	// may hold '@', ':' and '/' that a parser would refuse; the match ends
	// at white space or a quote.
	userinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://)([^\s"'<>@]*@)+`)
	// queryValue is the value of a query parameter: ?k=v or &k=v, up to the
	// next '&', '#', white space or quote.
	queryValue = regexp.MustCompile(`([?&;][^\s"'<>=&#?;]+=)[^\s"'<>&#;]+`)
)

// Redact removes credentials from every URL in s: the password of a
// user:password@ (the whole userinfo when it has no ':', a token in the
// user's place) and the value of every query parameter (tokens, keys,
// signatures: which parameter is secret differs by camera maker). It works
// on URLs that fail to parse, and on texts that hold URLs (errors, log
// messages): it never parses, it matches.
func Redact(s string) string {
	if !strings.Contains(s, "://") && !strings.ContainsAny(s, "?&;") {
		return s
	}
	s = userinfo.ReplaceAllStringFunc(s, func(m string) string {
		i := strings.Index(m, "://") + 3
		info := strings.TrimSuffix(m[i:], "@")
		if user, _, ok := strings.Cut(info, ":"); ok && !strings.Contains(user, "@") {
			return m[:i] + user + ":" + Mask + "@"
		}
		return m[:i] + Mask + "@"
	})
	if !strings.Contains(s, "://") {
		return s
	}
	return queryValue.ReplaceAllString(s, "${1}"+Mask)
}
