// Package docsui serves the API reference page with its assets embedded, so /docs works offline.
//
// The assets in assets/ are copied verbatim from the npm package
// swagger-ui-dist 5.35.0 (Apache-2.0, see assets/LICENSE and assets/NOTICE;
// third-party notices of the bundle in assets/swagger-ui-bundle.js.LICENSE.txt).
// Tarball: https://registry.npmjs.org/swagger-ui-dist/-/swagger-ui-dist-5.35.0.tgz
// integrity sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ==
// To upgrade: npm pack swagger-ui-dist@VERSION, copy the same files over,
// update assets/VERSION and this comment.
package docsui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed assets index.html init.js
var files embed.FS

// contentSecurityPolicy allows nothing but same-origin resources. data: and
// blob: images are needed for icons inlined in swagger-ui.css and for image
// responses shown by "Try it out".
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'self'; frame-ancestors 'self'"

var pageTemplate = template.Must(template.ParseFS(files, "index.html"))

type asset struct {
	data        []byte
	contentType string
	etag        string
}

var contentTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".png": "image/png",
	".txt": "text/plain; charset=utf-8",
	"":     "text/plain; charset=utf-8", // LICENSE, NOTICE, VERSION
}

// assets maps the name served under prefix+"/assets/" to its content.
var assets = loadAssets()

func loadAssets() map[string]asset {
	m := make(map[string]asset)
	add := func(name, file string) {
		b, err := files.ReadFile(file)
		if err != nil {
			panic(err)
		}
		ct, ok := contentTypes[path.Ext(name)]
		if !ok {
			panic("docsui: no content type for " + name)
		}
		sum := sha256.Sum256(b)
		m[name] = asset{data: b, contentType: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	entries, err := fs.ReadDir(files, "assets")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		add(e.Name(), "assets/"+e.Name())
	}
	add("init.js", "init.js")
	return m
}

// Handler returns an http.Handler serving the page at prefix (e.g. "/docs") and its assets under prefix+"/assets/", rendering the OpenAPI document at specURL (e.g. "/openapi.json").
//
// The handler expects the full request path (do not wrap it in
// http.StripPrefix); register it for both prefix and prefix+"/".
// Asset URLs carry a content hash query, so they are cached as immutable.
func Handler(prefix, specURL, title string) http.Handler {
	prefix = strings.TrimSuffix(prefix, "/")
	assetPrefix := prefix + "/assets/"

	versions := make(map[string]string, len(assets))
	for name, a := range assets {
		versions[name] = strings.Trim(a.etag, `"`)
	}
	var buf bytes.Buffer
	err := pageTemplate.Execute(&buf, struct {
		Title, SpecURL, Assets string
		Versions               map[string]string
	}{title, specURL, prefix + "/assets", versions})
	if err != nil {
		panic(err)
	}
	page := buf.Bytes()

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		p := r.URL.Path
		switch {
		case p == prefix || p == prefix+"/":
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Content-Security-Policy", contentSecurityPolicy)
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("Cache-Control", "no-cache")
			w.Write(page)
		case strings.HasPrefix(p, assetPrefix):
			a, ok := assets[strings.TrimPrefix(p, assetPrefix)]
			if !ok {
				http.NotFound(w, r)
				return
			}
			h.Set("Content-Type", a.contentType)
			h.Set("ETag", a.etag)
			if r.URL.Query().Get("v") == strings.Trim(a.etag, `"`) {
				h.Set("Cache-Control", "public, max-age=31536000, immutable")
			} else {
				h.Set("Cache-Control", "public, max-age=3600")
			}
			http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.data))
		default:
			http.NotFound(w, r)
		}
	})
}
