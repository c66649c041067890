package sanitize

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestSchemaExample checks that the example in SCHEMA.md is a payload the
// audit accepts once compacted, so that the document cannot drift from code.
func TestSchemaExample(t *testing.T) {
	doc, err := os.ReadFile("SCHEMA.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```json\n")
	example, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("SCHEMA.md has no json example")
	}
	var wire bytes.Buffer
	if err := json.Compact(&wire, []byte(example)); err != nil {
		t.Fatal(err)
	}
	pol := testPolicy()
	pol.Improvement.IncludeRead = true
	if err := AuditPayload(wire.Bytes(), pol); err != nil {
		t.Fatalf("SCHEMA.md example: %v", err)
	}
	if !strings.Contains(string(doc), "`"+SchemaVersion+"`") {
		t.Errorf("SCHEMA.md does not name %s", SchemaVersion)
	}
}

// TestJSONSchemaFields checks that sample.schema.json lists exactly the
// fields of Sample and Read, forbids all others, and requires the ones
// without omitempty.
func TestJSONSchemaFields(t *testing.T) {
	b, err := os.ReadFile("sample.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	type object struct {
		AdditionalProperties *bool                      `json:"additionalProperties"`
		Required             []string                   `json:"required"`
		Properties           map[string]json.RawMessage `json:"properties"`
	}
	var top object
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	var rd object
	if err := json.Unmarshal(top.Properties["read"], &rd); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		o    object
		typ  reflect.Type
	}{{"sample", top, reflect.TypeFor[Sample]()}, {"read", rd, reflect.TypeFor[Read]()}} {
		var fields, required []string
		for f := range c.typ.Fields() {
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			fields = append(fields, name)
			if opts != "omitempty" {
				required = append(required, name)
			}
		}
		var props []string
		for k := range c.o.Properties {
			props = append(props, k)
		}
		slices.Sort(props)
		slices.Sort(fields)
		if !slices.Equal(props, fields) || !slices.Equal(c.o.Required, required) || c.o.AdditionalProperties == nil || *c.o.AdditionalProperties {
			t.Errorf("%s: schema properties %v required %v; struct fields %v required %v; additionalProperties must be false",
				c.name, props, c.o.Required, fields, required)
		}
	}
}
