package httpapi

import (
	"io/fs"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/coocenter/coocenterd/internal/bar"
)

// The pages of the call bar and the wall (§8.6): static files, embedded.

// pagesCSP lets the pages load and reach only this box; any site may
// frame them (a CRM embeds the bar).
const pagesCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors *"

// addPages serves /bar/ (the bar), /bar/wall and /bar/static/.
func (s *server) addPages(r *gin.Engine) {
	static, err := fs.Sub(bar.Static, "static")
	if err != nil { // the embedded tree is ours: a bug
		panic("httpapi: the bar's static files: " + err.Error())
	}
	files := http.FileServerFS(static)
	page := func(name, kind string) gin.HandlerFunc {
		return func(c *gin.Context) {
			if s.mintForPage(c, kind) {
				return
			}
			pageHeaders(c)
			c.FileFromFS(name, http.FS(static))
		}
	}
	r.GET("/bar", func(c *gin.Context) {
		target := "/bar/"
		if q := c.Request.URL.RawQuery; q != "" {
			target += "?" + q
		}
		c.Redirect(http.StatusMovedPermanently, target)
	})
	r.GET("/bar/", page("bar.html", kindBar))
	r.GET("/bar/wall", page("wall.html", kindWall))
	r.GET("/bar/static/*file", func(c *gin.Context) {
		if f := c.Param("file"); f == "" || f[len(f)-1] == '/' {
			handleNoRoute(c) // no listings
			return
		}
		pageHeaders(c)
		c.Request.URL.Path = c.Param("file")
		files.ServeHTTP(c.Writer, c.Request)
	})
}

// pageHeaders are the pages' headers: no Referer (the token is in the
// address), this box only, revalidate after an upgrade.
func pageHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", pagesCSP)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
}

// mintForPage: on a box without a WEBKEY, where anyone may ask bar/link
// anyway, a page opened without a token (/bar/?extension=801, /bar/wall)
// is sent to a link of its own. It reports whether it answered.
func (s *server) mintForPage(c *gin.Context, kind string) bool {
	q := c.Request.URL.Query()
	if s.webKey != "" || q.Get("token") != "" {
		return false
	}
	exten := q.Get("extension")
	if kind == kindBar && exten == "" || exten != "" && !extension.valid(exten) {
		return false // the page says what it lacks
	}
	q.Del("extension")
	q.Set("token", s.tokens.mint(kind, exten, s.now().Add(defaultBarLinkTTL)))
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusFound, c.Request.URL.Path+"?"+q.Encode())
	return true
}
