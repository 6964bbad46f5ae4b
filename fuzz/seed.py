#!/usr/bin/env python3
"""Writes small valid seed inputs for each fuzz target into fuzz/corpus/<target>/ (stdlib only)."""
import io, json, os, struct, sys, zipfile

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

def npy_f64(shape, values):
    shape_txt = f"({shape[0]},)" if len(shape) == 1 else "(" + ", ".join(map(str, shape)) + ")"
    d = f"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape_txt}, }}"
    d += " " * ((64 - (10 + len(d) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(d)) + d.encode() + struct.pack(f"<{len(values)}d", *values)

def npy_str(items):
    k = max(len(s) for s in items)
    d = f"{{'descr': '<U{k}', 'fortran_order': False, 'shape': ({len(items)},), }}"
    d += " " * ((64 - (10 + len(d) + 1) % 64) % 64) + "\n"
    body = b"".join(s.ljust(k, "\0").encode("utf-32-le") for s in items)
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(d)) + d.encode() + body

def put(target, name, data):
    os.makedirs(os.path.join(root, target), exist_ok=True)
    with open(os.path.join(root, target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

A = [0.4, 0.1, 0.2, 0.3, 0.1, 0.5, 0.1, 0.2, 0.3, 0.2, 0.4, 0.1, 0.2, 0.2, 0.3, 0.4]
omb, s = [0.5, 0.4, 0.3, 0.6], [100.0, 80.0, 60.0, 40.0]
z = [s[i] - sum(A[i * 4 + j] * omb[j] * s[j] for j in range(4)) for i in range(4)]
put("npy", "matrix", npy_f64([4, 4], A))
put("npy", "vector", npy_f64([4], s))
put("npy", "strings", npy_str(["AAA", "BBB"]))
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
    for name, data in [("A.npy", npy_f64([4, 4], A)), ("omb.npy", npy_f64([4], omb)), ("s.npy", npy_f64([4], s)),
                       ("z.npy", npy_f64([4], z)), ("countries.npy", npy_str(["AAA", "BBB"])),
                       ("sectors.npy", npy_str(["X1", "Y2"]))]:
        zf.writestr(name, data)
put("icio_npz", "tiny", buf.getvalue())
csv = ("V1,AAA_X1,AAA_Y2,BBB_X1,BBB_Y2,AAA_HFCE,BBB_HFCE,OUT\n"
       "AAA_X1,10,5,2,1,60,22,100\nAAA_Y2,4,8,3,2,20,23,60\nBBB_X1,6,2,12,4,6,50,80\nBBB_Y2,1,3,2,5,4,25,40\n"
       "TLS,1,1,1,1,0,0,\nVA,78,41,60,27,0,0,\nOUT,100,60,80,40,0,0,\n")
put("oecd_icio_csv", "tiny.csv", csv)
wiod = ("row,AAA_c1,AAA_c2,BBB_c1,BBB_c2,AAA_HFCE,AAA_NPISH,AAA_GGFC,AAA_GFCF,AAA_INVEN,"
        "BBB_HFCE,BBB_NPISH,BBB_GGFC,BBB_GFCF,BBB_INVEN,GO\n"
        "AAA_c1,10,5,2,1,60,0,0,0,0,22,0,0,0,0,101\nAAA_c2,4,8,3,2,20,0,0,0,-1,23,0,0,0,0,59\n"
        "BBB_c1,6,2,12,4,6,0,0,0,0,50,0,0,0,0,80\nBBB_c2,1,3,2,5,4,0,0,0,0,25,0,0,0,0,40\n")
put("wiod2013", "tiny.csv", wiod)
frame = ("region\t\tAAA\tAAA\tBBB\tBBB\nsector\t\tX1\tY2\tX1\tY2\nregion\tsector\t\t\t\t\n"
         "AAA\tX1\t10\t5\t2\t1\nAAA\tY2\t4\t8\t3\t2\nBBB\tX1\t6\t2\t12\t4\nBBB\tY2\t1\t3\t2\t5\n")
put("pymrio", "z", bytes([1 | (1 << 2)]) + frame.encode())
put("store_meta", "meta.json", json.dumps({
    "format": "sovra-store", "format_version": 1, "name": "tiny", "title": "t", "source": "s", "year": 2022,
    "units": "USD million", "regions": [{"code": "AAA", "name": "A"}, {"code": "BBB", "name": "B"}],
    "sectors": [{"code": "X1", "name": "X"}], "final_demand": [{"region": "AAA", "category": "HFCE"}],
    "stressors": [], "source_sha256": None, "written_by": "seed", "notes": ""}))
put("blocs", "toml", b"\x00" + b'[bloc.NORDIC]\nmembers = ["DNK", "FIN", "ISL", "NOR", "SWE"]\ntitle = "Nordics"\n')
put("blocs", "expr", b"\x01" + b"(EU27+G7-DEU)&OECD+BRICS&OPEC-R01")
put("bilateral", "baci", 't,i,j,k,v,q\n2021,4,8,10121,5.5,"  1.2"\n2021,8,4,850760,0.0,NA\n2022,4,99,10121,1,\n')
put("bilateral", "long", "year,exporter,importer,product,value,quantity\n2022,DEU,FRA,850760,12.5,3\n2022,FRA,DEU,850760,1,\n")
put("scenario_toml", "embargo", 'name = "embargo USA x CHN"\nmodel = "rerouting"\n\n[[leg]]\nsanctioning = "R01"\ntarget = "R02"\ninstrument = "embargo"\n\n[params]\ntau = 0.3\ndelta = 0.1\nrho = -1.0\nrho_out = -1.0\n')
put("resume", "csv", "\x00# x shock batch\n# run: 00000000000000aa\nscenario,region,loss\na,R0,1\na,R1,2\nb,R0,1\nb,R1,2\n")
put("resume", "jsonl", '\x01{"kind":"shock","schema_version":1,"title":"t","parameters":[{"key":"scenario","label":"s","value":"a"},{"key":"run","label":"r","value":"00000000000000aa"}]}\n')
put("product_list", "csv", "hs6,name\n854231,processors # chips\n8486\nXVI\n\n85\n")
put("product_list", "lines", "section XVI\n848620;lithography\n050210\n")
print("seeds written to", root, file=sys.stderr)
