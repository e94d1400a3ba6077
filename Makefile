# render-check: `make demo` runs the check on the bundled example repo,
# `make test` runs every test (installing what they need when missing).
GO ?= go
PKGS ?= ./...
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: build demo test deps lint
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/render-check ./cmd/render-check

demo: build
	./bin/render-check check --root testdata/clusters --images off

# deps installs the real programs the tests run (Debian packages), or fails
# saying how to install them.
deps:
	@./hack/test-deps.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

test: deps lint
	$(GO) test -race -count=1 -timeout 30m $(PKGS)
