#!/usr/bin/env bash
# A store for the dashboard's browser test: the user store's datasets (icio2022, and wiod2013 when imported),
# hard-linked (copied across file systems), and a synthetic trade store of three years whose country codes are
# real ISO3 codes (so that blocs, names and the map work on it; the data are synthetic, never real trade).
#
#   bash web/test/make-home.sh HOME [SOVRA_BIN]
set -euo pipefail
home="$1"
sovra="${2:-${CARGO_TARGET_DIR:-$PWD/target}/release/sovra}"
user_store="${SOVRA_HOME_SOURCE:-${XDG_DATA_HOME:-$HOME/.local/share}/sovra}"
mkdir -p "$home"
for d in datasets .datasets; do
  [ -d "$user_store/$d" ] || continue
  [ -e "$home/$d" ] && continue
  cp -al "$user_store/$d" "$home/$d" 2>/dev/null || cp -a "$user_store/$d" "$home/$d"
done
[ -d "$home/trade" ] && exit 0
# Sixty economies of the OECD ICIO tables, by ISO 3166 alpha-3 code, for the synthetic countries C001…C060.
codes="USA CHN DEU JPN GBR FRA IND ITA BRA CAN KOR RUS AUS ESP MEX IDN NLD SAU TUR CHE POL BEL SWE ARG NOR AUT IRL
ISR THA SGP DNK PHL MYS ZAF VNM COL CHL FIN ROU CZE PRT NZL PER GRC KAZ HUN HRV BGR SVK LTU SVN LVA EST LUX CYP MLT
BRN KHM MAR TUN"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
files=()
for spec in 2020:3 2021:2 2022:1; do
  year=${spec%%:*} seed=${spec##*:}
  "$sovra" trade synth --countries 60 --products 1500 --year "$year" --seed "$seed" --out "$work/raw$year.csv" > /dev/null
  awk -F, -v OFS=, -v codes="$codes" '
    BEGIN { n = split(codes, c, /[ \n]+/); for (i = 1; i <= n; i++) iso[sprintf("C%03d", i)] = c[i] }
    NR == 1 { print; next }
    { if (!($2 in iso) || !($3 in iso)) { print "no code for " $2 " or " $3 > "/dev/stderr"; exit 1 }
      $2 = iso[$2]; $3 = iso[$3]; print }' "$work/raw$year.csv" > "$work/synth$year.csv"
  files+=("$work/synth$year.csv")
done
SOVRA_HOME="$home" "$sovra" trade import "${files[@]}" --store "$home/trade" > /dev/null
