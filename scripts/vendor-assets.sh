#!/usr/bin/env bash
# Refreshes the vendored front-end libraries from the npm registry. Run by hand, commit the
# result; builds never run this.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dest="$here/crates/web/assets/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack swagger-ui-dist@5.35.0 htmx.org@2.0.11 echarts@6.1.0 >/dev/null
for f in *.tgz; do mkdir "${f%.tgz}"; tar xzf "$f" -C "${f%.tgz}"; done
cp swagger-ui-dist-*/package/{swagger-ui-bundle.js,swagger-ui.css,LICENSE} "$dest/swagger-ui/"
cp htmx.org-*/package/dist/htmx.min.js htmx.org-*/package/LICENSE "$dest/htmx/"
cp echarts-*/package/dist/echarts.min.js echarts-*/package/LICENSE "$dest/echarts/"
# Source maps are not shipped; drop the references so browsers do not ask for them.
sed -i 's#^//\# sourceMappingURL=.*##' "$dest/swagger-ui/swagger-ui-bundle.js"
sed -i 's#/\*\# sourceMappingURL=[^*]*\*/##' "$dest/swagger-ui/swagger-ui.css"
echo "vendored into $dest"
