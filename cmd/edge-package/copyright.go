package main

import (
	"context"
	"debug/buildinfo"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

func copyrightCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("copyright", flag.ContinueOnError)
	fs.SetOutput(stderr)
	binary := fs.String("binary", "", "the Go binary the package ships (required)")
	head := fs.String("head", "", "the header and the project's paragraphs (required)")
	models := fs.String("models", "", "the paragraph of the models the package ships (required)")
	modcache := fs.String("modcache", os.Getenv("GOMODCACHE"), "the Go module cache (go env GOMODCACHE)")
	goroot := fs.String("goroot", os.Getenv("GOROOT"), "the Go toolchain that built the binary (go env GOROOT)")
	checker := fs.String("licensecheck", "licensecheck", "Debian's licensecheck, which names the licence of each file")
	out := fs.String("out", "", "write here instead of stdout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *binary == "" || *head == "" || *models == "" || *modcache == "" || *goroot == "" || fs.NArg() > 0 {
		return errors.New("copyright: --binary, --head, --models, --modcache and --goroot are required and no other arguments are taken")
	}
	w, done := output(*out, stdout)
	return done(writeCopyright(ctx, w, copyrightInput{
		Binary: *binary, Head: *head, Models: *models,
		ModCache: *modcache, GoRoot: *goroot, Licensecheck: *checker,
	}))
}

type copyrightInput struct {
	Binary, Head, Models string
	ModCache, GoRoot     string
	Licensecheck         string
}

// goCode is Go code linked into the binary: the standard library or a module.
type goCode struct {
	Name    string // paragraph's Files: pattern
	Title   string // for the Comment: "Go module x v1.2.3", "the Go standard library go1.26.8"
	Dir     string
	Licence licence
}

func writeCopyright(ctx context.Context, w io.Writer, in copyrightInput) error {
	bi, err := buildinfo.ReadFile(in.Binary)
	if err != nil {
		return fmt.Errorf("reading the Go build information of %s: %w", in.Binary, err)
	}
	code, err := goCodeOf(bi, in.ModCache, in.GoRoot)
	if err != nil {
		return err
	}
	var files []string
	for i := range code {
		if code[i].Licence.Files, err = licenceFiles(code[i].Dir); err != nil {
			return err
		}
		if len(code[i].Licence.Files) == 0 {
			return fmt.Errorf("%s: no licence file (LICENSE, COPYING, NOTICE, ...) in %s", code[i].Title, code[i].Dir)
		}
		files = append(files, code[i].Licence.Files...)
	}
	names, err := checkLicences(ctx, in.Licensecheck, files)
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, part := range []string{in.Head, in.Models} {
		text, err := os.ReadFile(part)
		if err != nil {
			return err
		}
		b.WriteString(strings.TrimSpace(string(text)) + "\n\n")
	}
	for i := range code {
		c := &code[i]
		if err := c.Licence.read(names); err != nil {
			return fmt.Errorf("%s: %w", c.Title, err)
		}
		c.Licence.Embedded = publicDomainSources(c.Dir)
		b.WriteString(c.Licence.paragraph(c.Name, c.Title+", compiled into usr/bin/edge-agent.") + "\n")
	}
	b.WriteString(apacheParagraph)
	_, err = io.WriteString(w, b.String())
	return err
}

// apacheParagraph is the project's licence, which Debian ships in
// common-licenses.
const apacheParagraph = `License: Apache-2.0
 On Debian systems, the complete text of the Apache License, Version 2.0
 can be found in "/usr/share/common-licenses/Apache-2.0".
`

// goCodeOf lists the standard library and every module linked into the
// binary (replacements followed), with their folders.
func goCodeOf(bi *buildinfo.BuildInfo, modcache, goroot string) ([]goCode, error) {
	version, err := os.ReadFile(filepath.Join(goroot, "VERSION"))
	if err != nil {
		return nil, fmt.Errorf("the Go toolchain's version: %w", err)
	}
	if v, _, _ := strings.Cut(string(version), "\n"); v != bi.GoVersion {
		return nil, fmt.Errorf("the binary was built by %s, but --goroot %s is %s", bi.GoVersion, goroot, v)
	}
	code := []goCode{{Name: "go/*", Title: "the Go standard library and runtime " + bi.GoVersion, Dir: goroot}}
	for _, m := range bi.Deps {
		if m.Replace != nil {
			m = m.Replace
		}
		if m.Version == "" {
			return nil, fmt.Errorf("module %s is replaced by a local folder; its licence cannot be found in the module cache", m.Path)
		}
		dir, err := moduleDir(modcache, m.Path, m.Version)
		if err != nil {
			return nil, err
		}
		code = append(code, goCode{
			Name:  "vendor/" + m.Path + "/*",
			Title: "Go module " + m.Path + " " + m.Version,
			Dir:   dir,
		})
	}
	return code, nil
}

// moduleDir is the module's folder in the module cache, where the go command
// escapes each upper-case letter as '!' and its lower case.
func moduleDir(modcache, path, version string) (string, error) {
	esc := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			if r >= 'A' && r <= 'Z' {
				b.WriteByte('!')
				r += 'a' - 'A'
			}
			b.WriteRune(r)
		}
		return b.String()
	}
	dir := filepath.Join(modcache, filepath.FromSlash(esc(path)+"@"+esc(version)))
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return "", fmt.Errorf("module %s %s is not in the module cache %s (go mod download)", path, version, modcache)
	}
	return dir, nil
}
