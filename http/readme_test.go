package http_test

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strings"
	"testing"
)

// The Example files that hold the README's Go snippets, so that they compile.
var exampleFiles = []string{
	"../netfd/example_test.go",
	"example_test.go",
	"../client/example_test.go",
	"../mux/example_test.go",
}

// TestREADMESnippets checks that every Go snippet of README.md is code of
// an Example function: its lines, import lines aside, appear together and
// in order in one Example's body, which the Go tool compiles.
func TestREADMESnippets(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var bodies [][]string
	for _, f := range exampleFiles {
		bodies = append(bodies, exampleBodies(t, f)...)
	}
	snippets := goSnippets(string(readme))
	if len(snippets) == 0 {
		t.Fatal("no Go snippets in README.md")
	}
	for _, s := range snippets {
		if !inSomeBody(s, bodies) {
			t.Errorf("README snippet is in no Example of %v:\n%s", exampleFiles, strings.Join(s, "\n"))
		}
	}
}

// goSnippets returns the lines of each ```go block of a markdown text,
// without import lines and the blank line after them.
func goSnippets(md string) [][]string {
	var out [][]string
	var cur []string
	in := false
	for _, l := range strings.Split(md, "\n") {
		switch {
		case !in && strings.TrimSpace(l) == "```go":
			in, cur = true, nil
		case in && strings.TrimSpace(l) == "```":
			in = false
			out = append(out, cur)
		case in && strings.HasPrefix(l, "import "):
		case in && len(cur) == 0 && strings.TrimSpace(l) == "":
		case in:
			cur = append(cur, strings.TrimRight(l, " \t"))
		}
	}
	return out
}

// exampleBodies returns the lines of the body of each Example function in
// file, one tab of indentation removed.
func exampleBodies(t *testing.T, file string) [][]string {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || !strings.HasPrefix(fd.Name.Name, "Example") {
			continue
		}
		body := src[fset.Position(fd.Body.Lbrace).Offset+1 : fset.Position(fd.Body.Rbrace).Offset]
		var lines []string
		for _, l := range strings.Split(string(bytes.Trim(body, "\n")), "\n") {
			lines = append(lines, strings.TrimPrefix(l, "\t"))
		}
		out = append(out, lines)
	}
	return out
}

// inSomeBody reports whether the lines of s appear together, in order, in
// one of bodies.
func inSomeBody(s []string, bodies [][]string) bool {
	for _, b := range bodies {
		for i := 0; i+len(s) <= len(b); i++ {
			if slices.Equal(b[i:i+len(s)], s) {
				return true
			}
		}
	}
	return false
}
