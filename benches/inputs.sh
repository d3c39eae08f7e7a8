# Sourced by the bench scripts: the shared inputs and bundles, made once into $CACHE.
# Needs BIN, CACHE, KDD_GZ and a `say` function.
#   $CACHE/kdd10.txt   the 10% file unzipped
#   $CACHE/m-all       a 41-feature bundle (both detectors) trained on the 10% file
#   $CACHE/m-header    a header-feature bundle trained on generated normal packets
prepare_inputs() {
    [[ -f $KDD_GZ ]] || { echo "missing $KDD_GZ (set NETANOMALY_DATA)" >&2; exit 1; }
    mkdir -p "$CACHE"
    if [[ ! -f $CACHE/kdd10.txt ]]; then
        say "unzipping the 10% file"
        gzip -dc "$KDD_GZ" >"$CACHE/kdd10.tmp" && mv "$CACHE/kdd10.tmp" "$CACHE/kdd10.txt"
    fi
    if [[ ! -f $CACHE/m-all/SHA256SUMS ]]; then
        say "training the 41-feature bundle"
        "$BIN" train --data "$KDD_GZ" --out "$CACHE/m-all" --epochs 8 >&2
    fi
    if [[ ! -f $CACHE/m-header/SHA256SUMS ]]; then
        say "training the header bundle on generated normal traffic"
        "$BIN" demo-capture --attacks none --seconds 300 --out "$CACHE/normal.pcap" --force >&2
        "$BIN" pcap2kdd --input "$CACHE/normal.pcap" --out "$CACHE/normal.kdd" --force >&2
        "$BIN" train --data "$CACHE/normal.kdd" --out "$CACHE/m-header" \
            --feature-set header --protocol unsupervised >&2
    fi
}
