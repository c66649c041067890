package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

const mitText = `MIT License

Copyright (c) 2015 Jane Doe

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software.`

// writeFiles writes name → text into dir and returns the paths, sorted as
// licenceFiles returns them.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLicenceRead(t *testing.T) {
	cases := []struct {
		name      string
		files     map[string]string // file → text
		names     map[string]string // file → licensecheck's name
		want      string
		texts     int
		holders   string
		wantError string
	}{
		{
			name:  "one MIT file is quoted with its holder",
			files: map[string]string{"LICENSE": mitText}, names: map[string]string{"LICENSE": "MIT"},
			want: "MIT", texts: 1, holders: "2015 Jane Doe",
		},
		{
			name:  "Apache-2.0 alone is not quoted (common-licenses has it); its NOTICE names the holder",
			files: map[string]string{"LICENSE": "Apache License\nVersion 2.0\n   Copyright [yyyy] [name of copyright owner]", "NOTICE": "Copyright 2012 The Foo Authors"},
			names: map[string]string{"LICENSE": "Apache-2.0", "NOTICE": "UNKNOWN"},
			want:  "Apache-2.0", texts: 0, holders: "2012 The Foo Authors",
		},
		{
			name:  "and/or in one file is and",
			files: map[string]string{"LICENSE": "two licences"}, names: map[string]string{"LICENSE": "Apache-2.0 and/or MIT"},
			want: "Apache-2.0 and MIT", texts: 1,
		},
		{
			name: "an SPDX line wins; a text held whole in another is quoted once",
			files: map[string]string{
				"LICENSE":   "Preamble.\n\nEclipse Public License - v 2.0\n  terms",
				"epl-v20":   "Eclipse Public License - v 2.0\nterms",
				"edl-v10":   "Copyright (c) 2007, Eclipse Foundation, Inc.\nRedistribution and use",
				"NOTICE.md": "SPDX-License-Identifier: EPL-2.0 or BSD-3-Clause",
			},
			names: map[string]string{"LICENSE": "EPL-2.0", "epl-v20": "EPL-2.0", "edl-v10": "BSD-3-Clause", "NOTICE.md": "BSD-3-Clause and/or EPL-2.0"},
			want:  "EPL-2.0 or BSD-3-Clause", texts: 2, holders: "2007, Eclipse Foundation, Inc.",
		},
		{
			name:  "a licence licensecheck cannot name is an error",
			files: map[string]string{"LICENSE": "do what you like"}, names: map[string]string{"LICENSE": "UNKNOWN"},
			wantError: "licensecheck cannot name the licence of",
		},
		{
			name:  "notices without a licence are an error",
			files: map[string]string{"NOTICE": "Copyright 2020 X"}, names: map[string]string{"NOTICE": "UNKNOWN"},
			wantError: "no licence file, only notices",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, c.files)
			files, err := licenceFiles(dir)
			if err != nil || len(files) != len(c.files) {
				t.Fatalf("licenceFiles found %v (%v), want all of %d", files, err, len(c.files))
			}
			names := map[string]string{}
			for name, n := range c.names {
				names[filepath.Join(dir, name)] = n
			}
			l := licence{Files: files}
			err = l.read(names)
			if c.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantError) {
					t.Fatalf("got %v, want an error with %q", err, c.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if l.Expression != c.want || len(l.Texts) != c.texts {
				t.Errorf("got %q with %d texts, want %q with %d", l.Expression, len(l.Texts), c.want, c.texts)
			}
			if c.holders != "" && strings.Join(l.Copyright, "; ") != c.holders {
				t.Errorf("holders %q, want %q", l.Copyright, c.holders)
			}
		})
	}
}

func TestLicenceFilesSkipsOtherFiles(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"LICENSE.txt": "x", "COPYING": "x", "README.md": "x", "licenses.go": "x", "main.go": "x"})
	files, _ := licenceFiles(dir)
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	if strings.Join(names, " ") != "COPYING LICENSE.txt" {
		t.Errorf("got %v, want COPYING and LICENSE.txt", names)
	}
}

func TestParagraphFormat(t *testing.T) {
	l := licence{Expression: "MIT", Copyright: []string{"2015 A", "2016 B"}, Texts: []string{"line one\n\nline two  "},
		Notices: []string{"a notice"}, Embedded: []string{"sqlite3.c"}}
	got := l.paragraph("vendor/x/*", "Go module x v1, compiled into usr/bin/edge-agent.")
	want := `Files: vendor/x/*
Copyright: 2015 A
 2016 B
License: MIT
 line one
 .
 line two
Comment: Go module x v1, compiled into usr/bin/edge-agent.
 sqlite3.c: public domain ("The author disclaims copyright to this source code").
 .
 Its NOTICE:
 .
 a notice
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestModuleDirEscapesUpperCase(t *testing.T) {
	cache := t.TempDir()
	dir := filepath.Join(cache, "github.com", "!burnt!sushi", "toml@v1.2.0")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := moduleDir(cache, "github.com/BurntSushi/toml", "v1.2.0"); err != nil || got != dir {
		t.Errorf("got %q, %v, want %q", got, err, dir)
	}
	if _, err := moduleDir(cache, "github.com/BurntSushi/toml", "v1.3.0"); err == nil || !strings.Contains(err.Error(), "go mod download") {
		t.Errorf("a module missing from the cache gave %v", err)
	}
}

// goEnv returns `go env NAME`.
func goEnv(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}

// The test binary is a Go binary too: its copyright file names the standard
// library and the modules linked into it (the YAML module, through
// internal/config, at the version the build info gives), each as a fake
// licensecheck named it.
func TestCopyrightOfThisTestBinary(t *testing.T) {
	dir := t.TempDir()
	checker := filepath.Join(dir, "licensecheck")
	script := "#!/bin/sh\nfor f; do case $f in -*) ;; *) printf '%s\\tMIT\\t\\n' \"$f\";; esac; done\n"
	writeFiles(t, dir, map[string]string{"head": "Format: x\n\nFiles: *\n", "models": "Files: models/*\n"})
	if err := os.WriteFile(checker, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	err = writeCopyright(t.Context(), &out, copyrightInput{
		Binary: self, Head: filepath.Join(dir, "head"), Models: filepath.Join(dir, "models"),
		ModCache: goEnv(t, "GOMODCACHE"), GoRoot: goEnv(t, "GOROOT"), Licensecheck: checker,
	})
	if err != nil {
		t.Fatal(err)
	}
	const yamlModule = "go.yaml.in/yaml/v3"
	yamlVersion := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == yamlModule {
				yamlVersion = m.Version
			}
		}
	}
	if yamlVersion == "" {
		t.Fatalf("the test binary's build info has no %s", yamlModule)
	}
	for _, want := range []string{"Format: x\n\nFiles: *\n\nFiles: models/*\n\nFiles: go/*\n", "\nFiles: vendor/" + yamlModule + "/*\n",
		"Comment: Go module " + yamlModule + " " + yamlVersion + ", compiled into usr/bin/edge-agent.", "\nLicense: Apache-2.0\n On Debian systems"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the copyright file lacks %q:\n%.1500s", want, out.String())
		}
	}

	// A toolchain other than the one that built the binary is refused.
	fake := filepath.Join(dir, "goroot")
	if err := os.MkdirAll(fake, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, fake, map[string]string{"VERSION": "go1.0\n"})
	err = writeCopyright(t.Context(), &strings.Builder{}, copyrightInput{Binary: self, Head: filepath.Join(dir, "head"),
		Models: filepath.Join(dir, "models"), ModCache: goEnv(t, "GOMODCACHE"), GoRoot: fake, Licensecheck: checker})
	if err == nil || !strings.Contains(err.Error(), "is go1.0") {
		t.Errorf("a wrong --goroot gave %v", err)
	}
}
