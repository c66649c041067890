package config

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

var (
	durationType = reflect.TypeOf(time.Duration(0))
	byteSizeType = reflect.TypeOf(ByteSize(0))
)

// decoder fills a struct from a YAML node tree, strictly: every key must be a
// field, every value must have the field's type. It collects every error
// rather than stopping at the first, so validate-config can show them all.
type decoder struct {
	file  string
	root  reflect.Value // the *Conf being filled, for per-camera inheritance
	errs  []error
	lines map[string]int // key path → line, for later validation errors
	sizes map[*yaml.Node]int
}

// maxNodes bounds the values an alias may expand to. A whole config has a
// few hundred; aliases of aliases can make a small file stand for billions
// (the "billion laughs"), which no reader of the file should have to walk.
const maxNodes = 10_000

// expanded is the number of nodes n stands for with every alias under it
// expanded (memoised; at most maxNodes+1).
func (d *decoder) expanded(n *yaml.Node) int {
	if v, ok := d.sizes[n]; ok {
		return v
	}
	d.sizes[n] = maxNodes + 1 // an alias cycle counts as too large
	size := 1
	if n.Kind == yaml.AliasNode {
		size = d.expanded(n.Alias)
	}
	for _, c := range n.Content {
		if size += d.expanded(c); size > maxNodes {
			size = maxNodes + 1
			break
		}
	}
	d.sizes[n] = size
	return size
}

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Line: lineOf(n), Msg: fmt.Sprintf(format, args...)})
}

func lineOf(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode {
		if d.expanded(n) > maxNodes {
			d.errorf(n, "'%s' is an alias that expands to more than %d values", path, maxNodes)
			return
		}
		n = n.Alias
	}
	d.lines[path] = n.Line
	switch {
	case v.Kind() == reflect.Struct:
		d.decodeStruct(n, v, path)
	case v.Kind() == reflect.Slice:
		d.decodeSlice(n, v, path)
	default:
		if n.Kind != yaml.ScalarNode {
			d.errorf(n, "'%s' must be %s, got a %s", path, kindName(v.Type()), nodeKindName(n))
			return
		}
		if err := setScalar(v, n.Value); err != nil {
			d.errorf(n, "'%s' %s", path, err)
		}
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // "key:" with nothing after it keeps the defaults
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "'%s' must be a mapping of keys, got a %s", path, nodeKindName(n))
		return
	}
	fields := fieldsByKey(v.Type())
	seen := map[string]bool{}
	var deferred [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			d.errorf(k, "'%s' is set twice", join(path, k.Value))
			continue
		}
		seen[k.Value] = true
		idx, ok := fields[k.Value]
		if !ok {
			d.errorf(k, "unknown key '%s'%s", join(path, k.Value), suggest(path, k.Value, fields))
			continue
		}
		// Cameras inherit from the global sections, so they are decoded last.
		if v.Type().FieldByIndex(idx).Type.Kind() == reflect.Slice {
			deferred = append(deferred, [2]*yaml.Node{k, val})
			continue
		}
		d.decode(val, v.FieldByIndex(idx), join(path, k.Value))
	}
	for _, kv := range deferred {
		d.decode(kv[1], v.FieldByIndex(fields[kv[0].Value]), join(path, kv[0].Value))
	}
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "'%s' must be a list, got a %s", path, nodeKindName(n))
		return
	}
	out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		el := out.Index(i)
		setDefaults(el)
		inherit(el, d.root)
		d.decode(item, el, fmt.Sprintf("%s[%d]", path, i))
	}
	v.Set(out)
}

// inherit copies into el's fields tagged inherit:"section" the values of the
// root's section of that name, key by key, so a camera starts from the global
// settings and overrides only what it sets.
func inherit(el reflect.Value, root reflect.Value) {
	if el.Kind() != reflect.Struct || !root.IsValid() {
		return
	}
	rootFields := fieldsByKey(root.Type())
	for i := 0; i < el.NumField(); i++ {
		sec := el.Type().Field(i).Tag.Get("inherit")
		if sec == "" {
			continue
		}
		src := root.FieldByIndex(rootFields[sec])
		dst := el.Field(i)
		srcKeys := fieldsByKey(src.Type())
		for key, dj := range fieldsByKey(dst.Type()) {
			if sj, ok := srcKeys[key]; ok {
				dst.FieldByIndex(dj).Set(src.FieldByIndex(sj))
			}
		}
	}
}

// setScalar parses s into v according to v's type.
func setScalar(v reflect.Value, s string) error {
	switch {
	case v.Type() == durationType:
		dur, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("must be a duration such as 500ms, 10s, 5m or 1h, got %q", s)
		}
		v.SetInt(int64(dur))
	case v.Type() == byteSizeType:
		b, err := ParseByteSize(s)
		if err != nil {
			return fmt.Errorf("must be a size such as 512B, 64KiB, 256MiB or 1GiB, got %q", s)
		}
		v.SetInt(int64(b))
	case v.Kind() == reflect.String:
		v.SetString(s)
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("must be true or false, got %q", s)
		}
		v.SetBool(b)
	case v.Kind() == reflect.Int:
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("must be an integer, got %q", s)
		}
		v.SetInt(i)
	case v.Kind() == reflect.Float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("must be a finite number, got %q", s)
		}
		v.SetFloat(f)
	default:
		return fmt.Errorf("has an unsupported type %s", v.Type())
	}
	return nil
}

// setDefaults fills every field of a struct from its default tag, recursively.
func setDefaults(v reflect.Value) {
	if v.Kind() != reflect.Struct {
		return
	}
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		switch {
		case f.Type.Kind() == reflect.Struct:
			setDefaults(v.Field(i))
		case f.Tag.Get("default") != "" || f.Type.Kind() != reflect.Slice:
			if err := setScalar(v.Field(i), f.Tag.Get("default")); err != nil && f.Tag.Get("default") != "" {
				panic(fmt.Sprintf("config: bad default for %s: %v", f.Name, err))
			}
		}
	}
}

// fieldsByKey maps each key of struct type t to its field's index path.
// The keys of a field tagged yaml:",inline" (a struct that several
// sections share, such as the MQTT connection) are the parent's keys.
func fieldsByKey(t reflect.Type) map[string][]int {
	m := make(map[string][]int, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if isInline(f) {
			for k, sub := range fieldsByKey(f.Type) {
				m[k] = append([]int{i}, sub...)
			}
			continue
		}
		m[yamlKey(f)] = []int{i}
	}
	return m
}

func yamlKey(f reflect.StructField) string {
	k, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return k
}

// isInline reports whether f is a struct whose keys are written at its
// parent's level (yaml:",inline").
func isInline(f reflect.StructField) bool {
	_, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return opts == "inline" && f.Type.Kind() == reflect.Struct
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindName(t reflect.Type) string {
	switch {
	case t == durationType:
		return "a duration"
	case t == byteSizeType:
		return "a size"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() == reflect.Int:
		return "an integer"
	case t.Kind() == reflect.Float64:
		return "a number"
	}
	return "a string"
}

func nodeKindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return fmt.Sprintf("value %q", n.Value)
}

// suggest names the closest known key when the unknown one looks like a typo.
func suggest(path, key string, fields map[string][]int) string {
	best, bestD := "", 3
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if d := editDistance(key, k); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean '%s'?)", join(path, best))
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
