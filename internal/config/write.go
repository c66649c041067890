package config

import (
	"fmt"
	"io"
	"reflect"
	"strings"
)

// Write writes c as YAML with the one-line description, the default and the
// bounds of every key in a comment above it. configs/edge-agent.yaml is
// Write(Defaults()); a test keeps the two equal.
func Write(w io.Writer, c *Conf) error {
	var b strings.Builder
	b.WriteString("# edge-agent configuration. Every key is optional: a key left out takes the\n")
	b.WriteString("# value shown here. Check a file with: edge-agent validate-config FILE\n")
	writeStruct(&b, reflect.ValueOf(c).Elem(), "", "")
	_, err := io.WriteString(w, b.String())
	return err
}

func writeStruct(b *strings.Builder, v reflect.Value, indent, firstPrefix string) {
	prefix := firstPrefix
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		fv := v.Field(i)
		if f.Tag.Get("retired") != "" {
			continue
		}
		if f.Tag.Get("inherit") != "" {
			fmt.Fprintf(b, "%s# %s: (a mapping) %s\n", indent, yamlKey(f), f.Tag.Get("help"))
			continue
		}
		if isInline(f) {
			writeStruct(b, fv, indent, prefix)
			prefix = ""
			continue
		}
		line := indent
		if prefix != "" {
			line = prefix
			prefix = ""
		}
		switch fv.Kind() {
		case reflect.Struct:
			if indent == "" {
				b.WriteString("\n")
			}
			fmt.Fprintf(b, "%s%s:\n", line, yamlKey(f))
			writeStruct(b, fv, indent+"  ", "")
		case reflect.Slice:
			fmt.Fprintf(b, "\n%s# %s\n%s%s:\n", indent, f.Tag.Get("help"), line, yamlKey(f))
			for j := 0; j < fv.Len(); j++ {
				writeStruct(b, fv.Index(j), indent+"    ", indent+"  - ")
			}
		default:
			fmt.Fprintf(b, "%s# %s%s\n", indent, f.Tag.Get("help"), boundsNote(f))
			if line != indent {
				// First key of a list item: the comment went above, the dash goes here.
				fmt.Fprintf(b, "%s%s: %s\n", line, yamlKey(f), FormatValue(fv))
				continue
			}
			fmt.Fprintf(b, "%s%s: %s\n", indent, yamlKey(f), FormatValue(fv))
		}
	}
}

func boundsNote(f reflect.StructField) string {
	if e := f.Tag.Get("enum"); e != "" {
		return " (" + strings.ReplaceAll(e, "|", ", ") + ")"
	}
	lo, hi := f.Tag.Get("min"), f.Tag.Get("max")
	if lo != "" || hi != "" {
		return fmt.Sprintf(" (%s to %s)", lo, hi)
	}
	return ""
}
