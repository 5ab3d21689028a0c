# The habits: make build, make test, make lint, make bench, make demo, make install.
GO      ?= go
# The semantic version lives in cmd/coocenterd/version.go; the commit is
# stamped here too, as GOFLAGS=-buildvcs=false or a tarball leaves none.
VERSION := $(shell sed -n 's/^var version = "\(.*\)"/\1/p' cmd/coocenterd/version.go)
COMMIT  ?= $(shell git describe --always --dirty --abbrev=12 --exclude='*' 2>/dev/null)
LDFLAGS := -s -w -X main.buildCommit=$(COMMIT)
PREFIX  ?= /usr/local
DESTDIR ?=

.PHONY: build test lint bench fuzz demo install deb clean

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/coocenterd ./cmd/coocenterd

# The README's test command; .ci/run runs exactly this plus lint.
test:
	$(GO) test -race -count=1 ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@if command -v staticcheck >/dev/null 2>&1; then staticcheck ./...; fi

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Fuzz the AMI parser (FUZZTIME=10m make fuzz for a longer run).
FUZZTIME ?= 60s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzReadMessage -fuzztime $(FUZZTIME) ./internal/ami/

demo:
	$(GO) run ./cmd/coocenterd -demo

# A source install: the binary under PREFIX, the unit naming it there. The
# user and the config's group are made as the Debian package makes them:
#   sudo useradd --system --user-group --home-dir /var/lib/coocenterd --shell /usr/sbin/nologin coocenterd
#   sudo usermod -a -G asterisk coocenterd   # manager.conf and the recordings
# PREBUILT=path installs that binary instead of building one (the tests do).
install: $(if $(PREBUILT),,build)
	install -D -m 0755 $(or $(PREBUILT),bin/coocenterd) $(DESTDIR)$(PREFIX)/bin/coocenterd
	install -d -m 0755 $(DESTDIR)/etc/systemd/system
	sed 's|/usr/bin/coocenterd|$(PREFIX)/bin/coocenterd|g' systemd/coocenterd.service > $(DESTDIR)/etc/systemd/system/coocenterd.service
	chmod 0644 $(DESTDIR)/etc/systemd/system/coocenterd.service
	install -d -m 0755 $(DESTDIR)$(PREFIX)/share/coocenterd/asterisk
	install -m 0644 asterisk/*.conf $(DESTDIR)$(PREFIX)/share/coocenterd/asterisk/
	install -d -m 0755 $(DESTDIR)$(PREFIX)/share/man/man8
	$(MANPAGE) > $(DESTDIR)$(PREFIX)/share/man/man8/coocenterd.8
	chmod 0644 $(DESTDIR)$(PREFIX)/share/man/man8/coocenterd.8
	install -d -m 0750 $(DESTDIR)/etc/coocenterd
	test -e $(DESTDIR)/etc/coocenterd/api.conf || install -m 0640 api.conf.example $(DESTDIR)/etc/coocenterd/api.conf
	-chgrp coocenterd $(DESTDIR)/etc/coocenterd $(DESTDIR)/etc/coocenterd/api.conf 2>/dev/null

# coocenterd(8) with the version of this build on its title line.
MANPAGE = sed '1s/"coocenterd [^"]*"/"coocenterd $(VERSION)"/' docs/coocenterd.8

# The Debian package, $(DIST)/coocenterd_<version>_<arch>.deb, with nfpm (a
# go tool pinned in go.mod); $(DIST)/pkg holds what make builds for it. The
# Debian version is the semantic version on a commit tagged v<version> with
# a clean tree, else a snapshot that sorts after that release and after the
# snapshots of older commits: 1.0.0+git20261203071807.bb783e061705[.dirty].
DIST        ?= dist
DEB_ARCH    ?= $(shell $(GO) env GOARCH)
DEB_TAGGED  := $(and $(shell git tag --points-at HEAD 2>/dev/null | grep -x 'v$(VERSION)'),$(filter-out %-dirty,$(COMMIT)))
DEB_DATE    := $(shell TZ=UTC git log -1 --format=%cd --date=format-local:%Y%m%d%H%M%S 2>/dev/null)
DEB_VERSION ?= $(VERSION)$(if $(DEB_TAGGED)$(if $(COMMIT),,none),,+git$(DEB_DATE).$(subst -,.,$(COMMIT)))
DEB         := $(DIST)/coocenterd_$(DEB_VERSION)_$(DEB_ARCH).deb
# The packaged binary is hardened as Debian's are: PIE, full RELRO.
# PREBUILT=path packages that binary instead (the tests do, which build
# theirs as go vet does, sharing its build cache).
DEB_BUILD = $(GO) build -trimpath -buildmode=pie -ldflags '$(LDFLAGS) -linkmode=external -extldflags=-Wl,-z,relro,-z,now'
deb:
	mkdir -p $(DIST)/pkg
	if [ -n '$(PREBUILT)' ]; then install -m 0755 '$(PREBUILT)' $(DIST)/pkg/coocenterd; \
	else $(DEB_BUILD) -o $(DIST)/pkg/coocenterd ./cmd/coocenterd; fi
	$(MANPAGE) | gzip -9n > $(DIST)/pkg/coocenterd.8.gz
	printf 'coocenterd (%s) unstable; urgency=medium\n\n  * coocenterd %s, commit %s. What changed is in\n    https://github.com/coocenter/coocenterd/blob/main/CHANGELOG.md\n\n -- coocenterd developers <coocenterd@lists.coocenter.org>  %s\n' \
	  '$(DEB_VERSION)' '$(VERSION)' '$(or $(COMMIT),unknown)' "$$(date -R -d @$$(git log -1 --format=%ct 2>/dev/null || date +%s))" | gzip -9n > $(DIST)/pkg/changelog.gz
	DEB_STAGE='$(DIST)/pkg' DEB_VERSION='$(DEB_VERSION)' DEB_ARCH='$(DEB_ARCH)' $(GO) tool nfpm package -f packaging/nfpm.yaml -p deb -t '$(DEB)'
	@echo '$(DEB)'

clean:
	rm -rf bin coocenterd dist
