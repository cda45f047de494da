package console

import (
	"bufio"
	"crypto/sha512"
	"encoding/base64"
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"ipledger/registry"
	"ipledger/registry/access"
	"ipledger/registry/ident"
)

// Every vendored file is the one VENDOR.txt names, byte for byte.
func TestVendoredFilesMatchTheirRecord(t *testing.T) {
	rec, err := files.ReadFile("static/vendor/VENDOR.txt")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	sc := bufio.NewScanner(strings.NewReader(string(rec)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 4 || strings.HasPrefix(f[0], "#") {
			continue
		}
		b, err := files.ReadFile("static/vendor/" + f[0])
		if err != nil {
			t.Fatalf("%s (%s %s): %v", f[0], f[1], f[2], err)
		}
		sum := sha512.Sum512(b)
		if got := base64.StdEncoding.EncodeToString(sum[:]); got != f[3] {
			t.Errorf("%s: sha512 %s, VENDOR.txt says %s", f[0], got, f[3])
		}
		seen++
	}
	if seen != 2 {
		t.Fatalf("VENDOR.txt lists %d files, want htmx and echarts", seen)
	}
	// Every script in the package is either ours or recorded.
	err = fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") {
			return err
		}
		if name := strings.TrimPrefix(p, "static/vendor/"); name != p && !strings.Contains(string(rec), name+" ") {
			t.Errorf("%s is vendored but not recorded", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

var keyRE = regexp.MustCompile(`\.T "([a-z0-9_.]+)"`)

// Every word a template asks for is in the catalog, in both languages.
func TestCatalogHasEveryTemplateKey(t *testing.T) {
	err := fs.WalkDir(files, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
			e, ok := catalog[m[1]]
			if !ok || e[0] == "" || e[1] == "" {
				t.Errorf("%s: key %q missing from the catalog", p, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Keys built from values: every kind, status, event, criterion and role has its word.
	var keys []string
	for _, k := range ident.Kinds() {
		keys = append(keys, "kind_"+string(k))
	}
	for _, k := range registry.PartyKinds() {
		keys = append(keys, "pk_"+string(k))
	}
	for _, r := range access.Roles() {
		keys = append(keys, "role_"+string(r))
	}
	for _, x := range registry.EventTypes() {
		keys = append(keys, "ae_"+x)
	}
	for _, x := range pledgeEventTypes {
		keys = append(keys, "ev_"+x)
	}
	for _, x := range []string{registry.StatusPending, registry.StatusValid, registry.StatusExpired, registry.StatusLapsed, registry.StatusInvalidated} {
		keys = append(keys, "st_"+x)
	}
	for _, x := range []string{registry.CriterionStrategicIndustry, registry.CriterionForeignFamily, registry.CriterionMaintained,
		registry.CriterionPledgeFinancing, registry.CriterionAward} {
		keys = append(keys, "crit_"+x)
	}
	for _, k := range keys {
		if _, ok := catalog[k]; !ok {
			t.Errorf("catalog lacks %q", k)
		}
	}
}

// A redirect after login stays inside the console.
func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/console/indicators?region=150502": "/console/indicators?region=150502",
		"//evil.example/console/":           "",
		"https://evil.example/console/":     "",
		"/console/\r\nSet-Cookie: x":        "",
		"/docs":                             "",
		"/console\\@evil":                   "",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
