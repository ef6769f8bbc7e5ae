package repocheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// root is the repository's top directory, from this package's.
var root = filepath.Join("..", "..")

// TestDocsStandAlone: no file of the repository points outside it, to
// the notes its authors keep beside their clone (../shared/): a user's
// clone has only the repository.
func TestDocsStandAlone(t *testing.T) {
	outside := regexp.MustCompile(`\.\./shared/|BASELINE\.md|shared/DESIGN\.md|shared/STYLE\.md`)
	self, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".md", ".go", ".sh", ".lua", ".mod":
		case "": // scripts (.ci/run), not binaries built here
			if info, err := d.Info(); err != nil || info.Size() > 256<<10 {
				return err
			}
		default:
			return nil
		}
		if abs, _ := filepath.Abs(path); filepath.Dir(abs) == self {
			return nil // this test names what it looks for
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if outside.MatchString(line) {
				t.Errorf("%s:%d points outside the repository: %s", path, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestREADMEDocs: the README's layout names every document of docs/
// and the READMEs below the top.
func TestREADMEDocs(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil || len(docs) == 0 {
		t.Fatalf("no docs: %v", err)
	}
	docs = append(docs, filepath.Join(root, "bench", "README.md"))
	for _, doc := range docs {
		if !strings.Contains(string(readme), "`"+filepath.Base(doc)+"`") && !strings.Contains(string(readme), "`"+filepath.ToSlash(strings.TrimPrefix(doc, root+"/"))+"`") {
			t.Errorf("README.md does not name %s", doc)
		}
	}
}
