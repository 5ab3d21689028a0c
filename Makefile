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
install: build
	install -D -m 0755 bin/coocenterd $(DESTDIR)$(PREFIX)/bin/coocenterd
	install -d -m 0755 $(DESTDIR)/etc/systemd/system
	sed 's|/usr/bin/coocenterd|$(PREFIX)/bin/coocenterd|g' systemd/coocenterd.service > $(DESTDIR)/etc/systemd/system/coocenterd.service
	chmod 0644 $(DESTDIR)/etc/systemd/system/coocenterd.service
	install -d -m 0755 $(DESTDIR)$(PREFIX)/share/coocenterd/asterisk
	install -m 0644 asterisk/*.conf $(DESTDIR)$(PREFIX)/share/coocenterd/asterisk/
	install -D -m 0644 docs/coocenterd.8 $(DESTDIR)$(PREFIX)/share/man/man8/coocenterd.8
	install -d -m 0750 $(DESTDIR)/etc/coocenterd
	test -e $(DESTDIR)/etc/coocenterd/api.conf || install -m 0640 api.conf.example $(DESTDIR)/etc/coocenterd/api.conf
	-chgrp coocenterd $(DESTDIR)/etc/coocenterd $(DESTDIR)/etc/coocenterd/api.conf 2>/dev/null

# The Debian package, dist/coocenterd_<version>_<arch>.deb, with nfpm (a go
# tool pinned in go.mod). DEB_VERSION is the semantic version, plus
# ~git<commit> when HEAD is not tagged v<version>.
DEB_ARCH    ?= $(shell $(GO) env GOARCH)
DEB_VERSION ?= $(VERSION)$(if $(shell git tag --points-at HEAD 2>/dev/null | grep -x 'v$(VERSION)'),,$(if $(COMMIT),~git$(subst -,.,$(COMMIT))))
# The packaged binary is hardened as Debian's are: PIE, full RELRO.
deb:
	mkdir -p dist/pkg
	$(GO) build -trimpath -buildmode=pie -ldflags '$(LDFLAGS) -linkmode=external -extldflags=-Wl,-z,relro,-z,now' -o dist/pkg/coocenterd ./cmd/coocenterd
	gzip -9n < docs/coocenterd.8 > dist/pkg/coocenterd.8.gz
	printf 'coocenterd (%s) unstable; urgency=medium\n\n  * Release %s; what changed is in the upstream changelog,\n    https://github.com/coocenter/coocenterd/blob/main/CHANGELOG.md\n\n -- coocenterd developers <coocenterd@lists.coocenter.org>  %s\n' \
	  '$(DEB_VERSION)' '$(VERSION)' "$$(date -R -d @$$(git log -1 --format=%ct 2>/dev/null || date +%s))" | gzip -9n > dist/pkg/changelog.gz
	DEB_VERSION='$(DEB_VERSION)' DEB_ARCH='$(DEB_ARCH)' $(GO) tool nfpm package -f packaging/nfpm.yaml -p deb -t dist/coocenterd_$(DEB_VERSION)_$(DEB_ARCH).deb
	@echo dist/coocenterd_$(DEB_VERSION)_$(DEB_ARCH).deb

clean:
	rm -rf bin coocenterd dist
