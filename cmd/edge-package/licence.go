package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// licence is what the licence files of one piece of code say.
type licence struct {
	Files      []string // licence and notice files, as licenceFiles found them
	Expression string   // SPDX expression: "MIT", "Apache-2.0 and MIT", "EPL-2.0 or BSD-3-Clause"
	Copyright  []string // the holders, from the files' "Copyright ..." lines
	Texts      []string // licence texts to quote (none for Apache-2.0 alone: common-licenses has it)
	Notices    []string // NOTICE files' texts, quoted in the Comment
	Embedded   []string // sources in the module under a licence of their own
}

// licenceFile matches the names of licence and notice files at a module's
// root: LICENSE, LICENCE.txt, COPYING, NOTICE.md, and SPDX-like names such
// as edl-v10 or epl-v20 (paho ships its second licence so).
var licenceFile = regexp.MustCompile(`(?i)^((un)?licen[cs]e|copying|notice)([-._].*)?$|^[a-z]+-v[0-9]+$`)

func isNotice(file string) bool {
	return strings.HasPrefix(strings.ToLower(filepath.Base(file)), "notice")
}

// licenceFiles returns the licence and notice files at the root of dir.
func licenceFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		if e.Type().IsRegular() && licenceFile.MatchString(e.Name()) {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	return files, nil
}

// checkLicences names the licence of each file with Debian's licensecheck
// (SPDX short names; UNKNOWN when it cannot tell).
func checkLicences(ctx context.Context, licensecheck string, files []string) (map[string]string, error) {
	cmd := exec.CommandContext(ctx, licensecheck, append([]string{
		"--machine", "--shortname-scheme=spdx", "--check=.", "--lines=0", "--",
	}, files...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %s", licensecheck, err, strings.TrimSpace(stderr.String()))
	}
	names := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		file, name, ok := strings.Cut(sc.Text(), "\t")
		if ok {
			names[file] = name
		}
	}
	for _, f := range files {
		if _, ok := names[f]; !ok {
			return nil, fmt.Errorf("%s said nothing about %s", licensecheck, f)
		}
	}
	return names, nil
}

var spdxLine = regexp.MustCompile(`SPDX-License-Identifier:\s*(.+?)\s*$`)

// read fills in the licence from the files and their names. The expression
// is the one an SPDX-License-Identifier line declares, else the licences of
// the licence files (not the notices) joined by "and": each file's terms
// apply to what it covers. A file whose licence licensecheck cannot name is
// an error, so that no module ships under an unnamed licence.
func (l *licence) read(names map[string]string) error {
	texts := map[string]string{}
	var known []string
	for _, f := range l.Files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		text := strings.TrimSpace(strings.ReplaceAll(string(b), "\r\n", "\n"))
		texts[f] = text
		l.Copyright = appendNew(l.Copyright, copyrightLines(text)...)
		for _, line := range strings.Split(text, "\n") {
			if m := spdxLine.FindStringSubmatch(line); m != nil && l.Expression == "" {
				l.Expression = m[1]
			}
		}
		if isNotice(f) {
			l.Notices = append(l.Notices, text)
			continue
		}
		name := names[f]
		if name == "" || name == "UNKNOWN" {
			return fmt.Errorf("licensecheck cannot name the licence of %s", f)
		}
		for _, n := range strings.Split(strings.ReplaceAll(name, " and/or ", " and "), " and ") {
			known = appendNew(known, n)
		}
	}
	if l.Expression == "" {
		if len(known) == 0 {
			return fmt.Errorf("no licence file, only notices: %s", strings.Join(l.Files, ", "))
		}
		l.Expression = strings.Join(known, " and ")
	}
	if l.Expression == "Apache-2.0" {
		return nil
	}
	// Quote each licence text once: paho's LICENSE holds epl-v20 whole.
	for _, f := range l.Files {
		if isNotice(f) {
			continue
		}
		dup := slices.ContainsFunc(l.Files, func(g string) bool {
			return g != f && !isNotice(g) && len(texts[g]) > len(texts[f]) &&
				strings.Contains(squash(texts[g]), squash(texts[f]))
		})
		if !dup {
			l.Texts = append(l.Texts, texts[f])
		}
	}
	return nil
}

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

func appendNew(list []string, items ...string) []string {
	for _, s := range items {
		if !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	return list
}

var copyrightPrefix = regexp.MustCompile(`(?i)^copyright(\s*(\(c\)|©))?\s+`)

// copyrightLines returns the holders named by the text's "Copyright ..."
// lines, without the word and the sign, leaving out templates such as
// Apache's "Copyright [yyyy] [name of copyright owner]".
func copyrightLines(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		loc := copyrightPrefix.FindStringIndex(line)
		if loc == nil || strings.ContainsAny(line, "[]{}<>") {
			continue
		}
		holder := strings.TrimSpace(line[loc[1]:])
		if holder != "" && (holder[0] >= '0' && holder[0] <= '9' || strings.Contains(holder, "Authors") || strings.Contains(holder, "authors")) {
			out = append(out, holder)
		}
	}
	return out
}

// publicDomainMark is how SQLite's sources (which go-sqlite3 compiles in)
// put themselves in the public domain.
const publicDomainMark = "The author disclaims copyright to this source code"

// publicDomainSources returns the C sources at the root of dir that put
// themselves in the public domain.
func publicDomainSources(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if !e.Type().IsRegular() || (ext != ".c" && ext != ".h") {
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		head := make([]byte, 64<<10)
		n, _ := io.ReadFull(f, head)
		f.Close()
		if bytes.Contains(head[:n], []byte(publicDomainMark)) {
			out = append(out, e.Name())
		}
	}
	return out
}

// paragraph writes the licence as a Files paragraph of a machine-readable
// debian/copyright file.
func (l *licence) paragraph(files, comment string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Files: %s\n", files)
	holders := l.Copyright
	if len(holders) == 0 {
		holders = []string{"its authors (its licence files name no holder)"}
	}
	b.WriteString("Copyright: " + strings.Join(holders, "\n ") + "\n")
	b.WriteString("License: " + l.Expression + "\n")
	for i, t := range l.Texts {
		if i > 0 {
			b.WriteString(" .\n")
		}
		b.WriteString(fieldText(t))
	}
	b.WriteString("Comment: " + comment + "\n")
	if len(l.Embedded) > 0 {
		fmt.Fprintf(&b, " %s: public domain (%q).\n", strings.Join(l.Embedded, ", "), publicDomainMark)
	}
	for _, n := range l.Notices {
		b.WriteString(" .\n Its NOTICE:\n .\n" + fieldText(n))
	}
	return b.String()
}

// fieldText indents text as the continuation lines of a control field, with
// " ." for an empty line.
func fieldText(text string) string {
	var b strings.Builder
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, " \t")
		if line == "" {
			line = "."
		}
		b.WriteString(" " + line + "\n")
	}
	return b.String()
}
