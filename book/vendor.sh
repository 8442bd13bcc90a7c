#!/usr/bin/env bash
# Fetch the browser-side files the website needs, so its pages work offline (no CDN at view time):
# require.js, the Jupyter widget renderer (@jupyter-widgets/html-manager) and MathJax's tex-chtml
# component with its fonts. They come from the npm registry with `npm pack` and only the files the
# pages load are kept. The result (book/vendor/) is committed: `make book` does not run this script.
# Run it again only to change a version below, then rebuild the book and commit book/vendor/.
set -euo pipefail

REQUIREJS=2.3.8
HTML_MANAGER=1.0.15 # the renderer for ipywidgets 8 (widget state format 2)
MATHJAX=3.2.2       # MathJax 3: tex-chtml.js finds its fonts beside it, no other package needed

here="$(cd "$(dirname "$0")" && pwd)"
dest="$here/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "requirejs@$REQUIREJS" "@jupyter-widgets/html-manager@$HTML_MANAGER" "mathjax@$MATHJAX" >/dev/null
for tarball in *.tgz; do
  mkdir -p "${tarball%.tgz}"
  tar -xzf "$tarball" -C "${tarball%.tgz}"
done

rm -rf "$dest"
mkdir -p "$dest/requirejs" "$dest/html-manager" "$dest/mathjax/output/chtml/fonts"

cp "requirejs-$REQUIREJS/package/require.js" "requirejs-$REQUIREJS/package/README.md" "$dest/requirejs/"

manager="jupyter-widgets-html-manager-$HTML_MANAGER/package"
cp "$manager/dist/embed-amd.js" "$manager/dist/embed.js.LICENSE.txt" "$dest/html-manager/"
# Font Awesome (the renderer's CSS asks for it): the woff2 files only, which every current browser takes.
cp "$manager"/dist/*.woff2 "$dest/html-manager/"
cp "$manager/LICENSE" "$dest/html-manager/" 2>/dev/null || true

mathjax="mathjax-$MATHJAX/package"
cp "$mathjax/es5/tex-chtml.js" "$mathjax/LICENSE" "$dest/mathjax/"
cp -r "$mathjax/es5/output/chtml/fonts/woff-v2" "$dest/mathjax/output/chtml/fonts/"

cat >"$dest/VERSIONS" <<EOF
# Fetched by book/vendor.sh with npm pack; only the files the pages load are kept.
requirejs $REQUIREJS (require.js)
@jupyter-widgets/html-manager $HTML_MANAGER (dist/embed-amd.js, dist/*.woff2)
mathjax $MATHJAX (es5/tex-chtml.js, es5/output/chtml/fonts/woff-v2)
EOF

du -sh "$dest"
