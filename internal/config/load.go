package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/edge-agent/edge-agent/internal/secret"
)

// DefaultCameraSource is the bundled recorded video the default camera reads,
// so that the agent runs out of the box (make demo generates it).
const DefaultCameraSource = "data/demo/synthetic-1080p.mp4"

// Error is one configuration error, located where the user wrote the value.
type Error struct {
	File string // the config file, or "--set key=value" for an override
	Line int    // 1-based; 0 when unknown
	Msg  string
}

// Error tells where and what, with the credentials of any URL in it (a
// value quoted back, a --set override) redacted.
func (e *Error) Error() string {
	switch {
	case e.File == "":
		return secret.Redact(e.Msg)
	case e.Line <= 0:
		return secret.Redact(e.File + ": " + e.Msg)
	}
	return secret.Redact(e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Msg)
}

// Errors is every error found in one configuration, in file order.
type Errors []error

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Defaults returns the configuration used where the file says nothing.
func Defaults() *Conf {
	c := &Conf{}
	v := reflect.ValueOf(c).Elem()
	setDefaults(v)
	cam := reflect.New(reflect.TypeOf(Camera{})).Elem()
	setDefaults(cam)
	inherit(cam, v)
	cam.FieldByName("Name").SetString("front")
	cam.FieldByName("Source").SetString(DefaultCameraSource)
	c.Cameras = []Camera{cam.Interface().(Camera)}
	return c
}

// Load reads the YAML file at path, applies the --set overrides (each
// "key.path=value", where value is YAML), and validates the result. On error
// it returns Errors with every problem found, each naming its key.
func Load(path string, sets []string) (*Conf, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, Errors{&Error{Msg: fmt.Sprintf("config file %q: %v", path, err)}}
	}
	return Parse(path, data, sets)
}

var yamlLineErr = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Parse is Load on data already read; file names it in errors.
func Parse(file string, data []byte, sets []string) (*Conf, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		if m := yamlLineErr.FindStringSubmatch(err.Error()); m != nil {
			line, _ := strconv.Atoi(m[1])
			return nil, Errors{&Error{File: file, Line: line, Msg: "invalid YAML: " + m[2]}}
		}
		return nil, Errors{&Error{File: file, Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	if root.Kind == 0 { // empty file
		root = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	}
	var errs Errors
	for i, s := range sets {
		if err := applySet(root, s, i); err != nil {
			errs = append(errs, &Error{File: "--set " + s, Msg: err.Error()})
		}
	}
	c := Defaults()
	v := reflect.ValueOf(c).Elem()
	d := &decoder{file: file, root: v, lines: map[string]int{}, sizes: map[*yaml.Node]int{}}
	d.decode(root, v, "")
	errs = append(errs, d.errs...)
	for _, e := range validate(v, "") {
		line := d.lines[e.path]
		errs = append(errs, &Error{File: d.where(line, sets), Line: line, Msg: e.msg})
	}
	if len(errs) > 0 {
		for _, e := range errs {
			relocate(e, file, sets)
		}
		return nil, errs
	}
	return c, nil
}

// Lines of nodes that come from --set overrides are negative: -(i+1) for
// sets[i]. relocate rewrites such errors to name the override.
func relocate(err error, file string, sets []string) {
	var e *Error
	if errors.As(err, &e) && e.File == file && e.Line < 0 {
		e.File, e.Line = "--set "+sets[-e.Line-1], 0
	}
}

func (d *decoder) where(line int, sets []string) string {
	if line < 0 {
		return "--set " + sets[-line-1]
	}
	return d.file
}

var setPathPart = regexp.MustCompile(`^([a-z_]+)(?:\[(\d+)\])?$`)

// applySet writes one key.path=value override into the YAML tree before it is
// decoded, so that the override is checked like any key in the file.
func applySet(root *yaml.Node, set string, idx int) error {
	key, value, ok := strings.Cut(set, "=")
	if !ok || key == "" {
		return fmt.Errorf("must be key.path=value")
	}
	var val yaml.Node
	if err := yaml.Unmarshal([]byte(value), &val); err != nil {
		return fmt.Errorf("value is not valid YAML: %v", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	newVal := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: ""}
	if len(val.Content) > 0 {
		newVal = val.Content[0]
	}
	markLines(newVal, -(idx + 1))

	n := root
	parts := strings.Split(key, ".")
	for pi, part := range parts {
		m := setPathPart.FindStringSubmatch(part)
		if m == nil {
			return fmt.Errorf("%q is not a key path such as alpr.region or cameras[0].source", key)
		}
		last := pi == len(parts)-1 && m[2] == ""
		child := mapChild(n, m[1], idx)
		if last {
			*child = *newVal
			return nil
		}
		if m[2] == "" {
			if child.Kind != yaml.MappingNode {
				*child = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: -(idx + 1)}
			}
			n = child
			continue
		}
		i, _ := strconv.Atoi(m[2])
		if child.Kind != yaml.SequenceNode {
			*child = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: -(idx + 1)}
		}
		switch {
		case i < len(child.Content):
		case i == len(child.Content):
			child.Content = append(child.Content, &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: -(idx + 1)})
		default:
			return fmt.Errorf("'%s' has %d entries; index %d would leave a gap", m[1], len(child.Content), i)
		}
		if pi == len(parts)-1 {
			*child.Content[i] = *newVal
			return nil
		}
		n = child.Content[i]
		if n.Kind != yaml.MappingNode {
			*n = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: -(idx + 1)}
		}
	}
	return nil
}

// mapChild returns the value node of key in mapping n, adding it if absent.
func mapChild(n *yaml.Node, key string, idx int) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key, Line: -(idx + 1)}
	v := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: -(idx + 1)}
	n.Content = append(n.Content, k, v)
	return v
}

func markLines(n *yaml.Node, line int) {
	n.Line = line
	for _, c := range n.Content {
		markLines(c, line)
	}
}
