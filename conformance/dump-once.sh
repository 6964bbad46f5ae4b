# Sourced by the conformance scripts: `dump_once NAME STAMP` runs the caller's `dump DIR` into a temporary
# directory and moves it to $out/NAME with STAMP in its DONE file, atomically; it does nothing when
# $out/NAME/DONE already holds STAMP (same dump script, peer versions and inputs). Needs $out.
dump_once() {
  local name="$1" stamp="$2"
  local dest="$out/$name"
  if [ -f "$dest/DONE" ] && [ "$(cat "$dest/DONE")" = "$stamp" ]; then
    echo "$name dump is up to date in $dest"
    return 0
  fi
  mkdir -p "$out"
  local tmp="$out/$name.tmp.$$" start=$SECONDS
  rm -rf "$tmp"
  # shellcheck disable=SC2064  # the path is fixed now, on purpose
  trap "rm -rf '$tmp'" EXIT
  dump "$tmp"
  echo "$stamp" > "$tmp/DONE"
  rm -rf "$dest"
  mv "$tmp" "$dest"
  trap - EXIT
  echo "$name dump written to $dest ($((SECONDS - start))s)"
}
