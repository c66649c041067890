package config

import (
	"fmt"
	"reflect"
)

// Retired lists the retired keys (see the retired tag) that c sets to
// something else than their default, each with why it no longer does
// anything, for the agent and validate-config to warn about.
func Retired(c *Conf) []string {
	return retired(reflect.ValueOf(c).Elem(), reflect.ValueOf(Defaults()).Elem(), "")
}

func retired(v, def reflect.Value, path string) []string {
	var out []string
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		p := join(path, yamlKey(f))
		if why := f.Tag.Get("retired"); why != "" {
			if !reflect.DeepEqual(v.Field(i).Interface(), def.Field(i).Interface()) {
				out = append(out, fmt.Sprintf("'%s' is retired: %s", p, why))
			}
			continue
		}
		if f.Type.Kind() == reflect.Struct {
			out = append(out, retired(v.Field(i), def.Field(i), p)...)
		}
	}
	return out
}
