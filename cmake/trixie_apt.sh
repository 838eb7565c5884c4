# Private apt configuration for Debian trixie, shared by cmake/deps.sh (mbedTLS 3.6 binary packages) and
# cmake/mbedtls_source.sh (its source package). Source it, then call `trixie_apt_setup DIR [deb|deb-src]`:
# it derives a sources file from the system's configured Debian mirror(s) (every suite becomes trixie,
# security suites trixie-security) and sets the array `apt_opts` so that apt-get reads only DIR.
# The system's apt configuration is never edited.

# Writes the deb822 sources of the system's mirrors with trixie suites and the given Types.
derive_trixie_sources() {
  local type=$1 src
  for src in /etc/apt/sources.list.d/*.sources; do
    [ -f "$src" ] || continue
    awk -v type="$type" '/^Types:/ { print "Types: " type; next }
         /^Suites:/ {
           delete seen; out = ""
           for (i = 2; i <= NF; i++) {
             s = ($i ~ /-security$/) ? "trixie-security" : "trixie"
             if (!(s in seen)) { seen[s] = 1; out = out " " s }
           }
           print "Suites:" out; next
         }
         { print }' "$src"
    echo
  done
  if [ -f /etc/apt/sources.list ]; then
    # one-line format: "deb URI suite components" becomes a deb822 stanza
    awk -v type="$type" '$1 == "deb" && $2 !~ /^\[/ {
      suite = ($3 ~ /-security$/) ? "trixie-security" : "trixie"
      printf "Types: %s\nURIs: %s\nSuites: %s\nComponents: main\n\n", type, $2, suite }' /etc/apt/sources.list
  fi
}

trixie_apt_setup() {
  local dir=$1 type=${2:-deb}
  mkdir -p "$dir/sources.d" "$dir/lists/partial" "$dir/cache/archives/partial"
  derive_trixie_sources "$type" > "$dir/sources.d/trixie.sources"
  grep -q '^URIs:' "$dir/sources.d/trixie.sources" || { echo "no Debian mirror found in the apt configuration" >&2; return 1; }
  apt_opts=(
    -o Dir::Etc::sourcelist=/dev/null
    -o Dir::Etc::sourceparts="$dir/sources.d"
    -o Dir::State::Lists="$dir/lists"
    -o Dir::Cache="$dir/cache"
    -o Debug::NoLocking=1
    -o APT::Sandbox::User=root
  )
  apt-get "${apt_opts[@]}" update -qq >/dev/null
}
