//! Offset-taking operations against node: in-range, boundary, negative and
//! out-of-range arguments; results, resulting bytes, error codes and messages
//! must all match.

mod common;

use common::{hard_bytes, hard_string, hex, node_answers, node_json};
use rt_buffer::{Buffer, Encoding, Error, Fill, Needle};
use rt_tests::node::node_or_skip;
use rt_tests::rng::Rng;
use serde_json::{Value, json};

const SCRIPT: &str = r#"
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const H = (h) => Buffer.from(h, 'hex');
const fbits = (v) => Number.isNaN(v) ? 'NaN' : (() => { const b = Buffer.alloc(8); b.writeDoubleLE(v); return b.toString('hex'); })();
const val = (v) => (v && typeof v === 'object') ? (v.hex !== undefined ? H(v.hex) : v.bits !== undefined ? H(v.bits).readDoubleLE(0) : BigInt(v.big)) : v;
const out = input.map((c) => {
  const buf = H(c.buf);
  const a = c.args.map((x) => x === null ? undefined : val(x));
  let extra;
  try {
    let r;
    switch (c.op) {
      case 'toString': r = buf.toString(...a).toWellFormed(); break;
      case 'subarray': r = buf.subarray(...a).toString('hex'); break;
      case 'read': { const v = buf[c.m](...a); r = /Float|Double/.test(c.m) ? fbits(v) : String(v); break; }
      case 'write': r = buf[c.m](...a); break;
      case 'fill': buf.fill(...a); r = 0; break;
      case 'alloc': r = Buffer.alloc(...a).toString('hex'); break;
      case 'indexOf': r = buf.indexOf(...a); break;
      case 'lastIndexOf': r = buf.lastIndexOf(...a); break;
      case 'compare': r = buf.compare(...a); break;
      case 'copy': { const t = a[0]; r = buf.copy(...a); extra = t.toString('hex'); break; }
      case 'writeString': r = buf.write(...a); break;
      case 'concat': r = Buffer.concat(c.list.map(H), ...a).toString('hex'); break;
      case 'swap': buf[c.m](); r = 0; break;
      case 'json': r = JSON.stringify(buf); break;
      default: throw new Error('unknown op ' + c.op);
    }
    return { r, buf: buf.toString('hex'), extra };
  } catch (e) {
    if (!e.code) throw e;
    return { e: e.code, m: e.message.toWellFormed() };
  }
});
process.stdout.write(JSON.stringify(out));
"#;

struct Case {
    op: &'static str,
    method: &'static str,
    buf: Vec<u8>,
    args: Vec<Value>,
    list: Vec<Vec<u8>>,
}

/// An offset that favours boundaries: around 0 and the length, negative,
/// and far out of range.
fn offset(rng: &mut Rng, len: usize) -> i64 {
    let len = len as i64;
    match rng.below(10) {
        0 => *rng.pick(&[-1, 0, len, len - 1, len + 1, -len, -len - 1]),
        1 => *rng.pick(&[
            i64::from(i32::MIN),
            i64::from(i32::MAX),
            1 << 32,
            (1 << 32) + 1,
            1 << 40,
            -(1 << 40),
        ]),
        2 | 3 => rng.range(-len - 3, -1),
        _ => rng.range(0, len + 3),
    }
}

fn encoding(rng: &mut Rng) -> Encoding {
    *rng.pick(&Encoding::ALL)
}

const FIXED: &[(&str, usize)] = &[
    ("UInt8", 1),
    ("Int8", 1),
    ("UInt16LE", 2),
    ("UInt16BE", 2),
    ("Int16LE", 2),
    ("Int16BE", 2),
    ("UInt32LE", 4),
    ("UInt32BE", 4),
    ("Int32LE", 4),
    ("Int32BE", 4),
    ("FloatLE", 4),
    ("FloatBE", 4),
    ("DoubleLE", 8),
    ("DoubleBE", 8),
    ("BigUInt64LE", 8),
    ("BigUInt64BE", 8),
    ("BigInt64LE", 8),
    ("BigInt64BE", 8),
];

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// How many cases [`gen_cases`] makes.
const CASES: usize = 6_000;

fn gen_cases(rng: &mut Rng) -> Vec<Case> {
    let mut cases = Vec::new();
    for i in 0..CASES {
        let mut buf = hard_bytes(rng);
        buf.truncate(rng.below(40) as usize);
        let len = buf.len();
        let mut c = Case {
            op: "",
            method: "",
            buf,
            args: vec![],
            list: vec![],
        };
        match i % 14 {
            0 => {
                c.op = "toString";
                c.args = vec![
                    json!(encoding(rng).name()),
                    json!(offset(rng, len)),
                    json!(offset(rng, len)),
                ];
            }
            1 => {
                c.op = "subarray";
                c.args = vec![json!(offset(rng, len)), json!(offset(rng, len))];
            }
            2 => {
                let (name, _) = *rng.pick(FIXED);
                c.op = "read";
                c.method = leak(format!("read{name}"));
                c.args = vec![json!(offset(rng, len))];
            }
            3 => {
                c.op = "read";
                c.method = *rng.pick(&["readUIntLE", "readUIntBE", "readIntLE", "readIntBE"]);
                c.args = vec![json!(offset(rng, len)), json!(rng.range(0, 7))];
            }
            4 => {
                let (name, size) = *rng.pick(FIXED);
                c.op = "write";
                c.method = leak(format!("write{name}"));
                let raw = rng.next_u64();
                let v = if name.starts_with("Big") {
                    if name.contains("UInt") {
                        json!({ "big": raw.to_string() })
                    } else {
                        json!({ "big": (raw as i64).to_string() })
                    }
                } else if name.starts_with("Float") {
                    json!({ "bits": hex(&f64::from(f32::from_bits(raw as u32)).to_le_bytes()) })
                } else if name.starts_with("Double") {
                    json!({ "bits": hex(&raw.to_le_bytes()) })
                } else {
                    let bits = size * 8;
                    let u = raw & ((1u64 << bits) - 1);
                    if name.starts_with("UInt") {
                        json!(u)
                    } else {
                        json!(((u << (64 - bits)) as i64) >> (64 - bits))
                    }
                };
                c.args = vec![v, json!(offset(rng, len))];
            }
            5 => {
                c.op = "write";
                c.method = *rng.pick(&["writeUIntLE", "writeUIntBE", "writeIntLE", "writeIntBE"]);
                let bl = rng.range(0, 7);
                let bits = (bl.clamp(1, 6) * 8) as u32;
                let v = match rng.below(4) {
                    0 => rng.range(-(1 << (bits - 1)) - 2, 1 << (bits - 1)),
                    1 => rng.range(0, (1 << bits) + 1),
                    2 => *rng.pick(&[-1, 0, 1 << 47, (1 << 48) - 1, -(1 << 47), 255, 256, -129]),
                    _ => rng.range(-(1 << 48), 1 << 48),
                };
                let v = if c.method.contains("UInt") && v < 0 {
                    v.unsigned_abs() as i64
                } else {
                    v
                };
                c.args = vec![json!(v), json!(offset(rng, len)), json!(bl)];
            }
            6 => {
                c.op = "fill";
                let enc = encoding(rng);
                let v = match rng.below(3) {
                    0 => json!(rng.below(256)),
                    1 => {
                        let mut s = hard_string(rng);
                        s.truncate(s.char_indices().nth(3).map_or(s.len(), |(i, _)| i));
                        json!(s)
                    }
                    _ => {
                        let n = rng.below(4) as usize;
                        json!({ "hex": hex(&rng.bytes(n)) })
                    }
                };
                let end = if rng.chance(1, 4) {
                    Value::Null
                } else {
                    json!(offset(rng, len))
                };
                c.args = vec![v, json!(offset(rng, len)), end, json!(enc.name())];
            }
            7 => {
                c.op = "alloc";
                let v = if rng.chance(1, 2) {
                    json!(hard_string(rng))
                } else {
                    {
                        let n = rng.below(3) as usize;
                        json!({ "hex": hex(&rng.bytes(n)) })
                    }
                };
                c.args = vec![json!(rng.below(20)), v, json!(encoding(rng).name())];
            }
            8 | 9 => {
                c.op = if i % 14 == 8 { "indexOf" } else { "lastIndexOf" };
                let enc = encoding(rng);
                let needle = match rng.below(4) {
                    0 => json!(rng.below(256)),
                    1 => {
                        // A piece of the buffer itself, so matches happen.
                        let a = rng.below(len as u64 + 1) as usize;
                        let b = (a + rng.below(5) as usize).min(len);
                        json!({ "hex": hex(&c.buf[a..b]) })
                    }
                    2 => {
                        let a = rng.below(len as u64 + 1) as usize;
                        let b = (a + rng.below(6) as usize).min(len);
                        json!(Buffer::from(&c.buf[a..b]).to_string(enc))
                    }
                    _ => {
                        let mut s = hard_string(rng);
                        s.truncate(s.char_indices().nth(2).map_or(s.len(), |(i, _)| i));
                        json!(s)
                    }
                };
                let off = if rng.chance(1, 5) {
                    Value::Null
                } else {
                    json!(offset(rng, len))
                };
                c.args = vec![needle, off, json!(enc.name())];
            }
            10 => {
                c.op = "compare";
                let n = rng.below(10) as usize;
                let t = rng.bytes(n);
                let tl = t.len();
                let t = if rng.chance(1, 2) && len > 0 {
                    c.buf[..len.min(tl)].to_vec()
                } else {
                    t
                };
                c.args = vec![
                    json!({ "hex": hex(&t) }),
                    json!(offset(rng, tl)),
                    json!(offset(rng, tl)),
                    json!(offset(rng, len)),
                    json!(offset(rng, len)),
                ];
            }
            11 => {
                c.op = "copy";
                let n = rng.below(12) as usize;
                let t = rng.bytes(n);
                c.args = vec![
                    json!({ "hex": hex(&t) }),
                    json!(offset(rng, n)),
                    json!(offset(rng, len)),
                    json!(offset(rng, len)),
                ];
            }
            12 => {
                c.op = "writeString";
                let enc = encoding(rng);
                let s = hard_string(rng);
                let l = if rng.chance(1, 4) {
                    Value::Null
                } else {
                    json!(offset(rng, len))
                };
                c.args = vec![json!(s), json!(offset(rng, len)), l, json!(enc.name())];
            }
            _ => match rng.below(3) {
                0 => {
                    c.op = "concat";
                    let n = rng.below(4);
                    c.list = (0..n)
                        .map(|_| {
                            let k = rng.below(6) as usize;
                            rng.bytes(k)
                        })
                        .collect();
                    let total: usize = c.list.iter().map(Vec::len).sum();
                    c.args = if rng.chance(1, 3) {
                        vec![]
                    } else {
                        vec![json!(rng.range(0, total as i64 + 3))]
                    };
                }
                1 => {
                    c.op = "swap";
                    c.method = *rng.pick(&["swap16", "swap32", "swap64"]);
                }
                _ => c.op = "json",
            },
        }
        cases.push(c);
    }
    cases
}

fn num(v: &Value) -> i64 {
    v.as_i64().expect("integer arg")
}

fn enc(v: &Value) -> Encoding {
    Encoding::from_name(v.as_str().expect("encoding")).expect("known encoding")
}

fn bytes_of(v: &Value) -> Vec<u8> {
    common::unhex(v["hex"].as_str().expect("hex"))
}

fn fbits(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else {
        hex(&v.to_le_bytes())
    }
}

/// Runs one case through rt, in the shape the node script answers.
fn run(c: &Case) -> Value {
    let mut buf = Buffer::from(c.buf.clone());
    let a = &c.args;
    let mut extra = Value::Null;
    let r: Result<Value, Error> = (|| {
        Ok(match c.op {
            "toString" => json!(buf.to_string_range(enc(&a[0]), num(&a[1]), num(&a[2]))),
            "subarray" => json!(hex(&buf.subarray(num(&a[0]), num(&a[1])))),
            "read" => {
                let o = num(&a[0]);
                let s = match c.method {
                    "readUInt8" => buf.read_u8(o)?.to_string(),
                    "readInt8" => buf.read_i8(o)?.to_string(),
                    "readUInt16LE" => buf.read_u16_le(o)?.to_string(),
                    "readUInt16BE" => buf.read_u16_be(o)?.to_string(),
                    "readInt16LE" => buf.read_i16_le(o)?.to_string(),
                    "readInt16BE" => buf.read_i16_be(o)?.to_string(),
                    "readUInt32LE" => buf.read_u32_le(o)?.to_string(),
                    "readUInt32BE" => buf.read_u32_be(o)?.to_string(),
                    "readInt32LE" => buf.read_i32_le(o)?.to_string(),
                    "readInt32BE" => buf.read_i32_be(o)?.to_string(),
                    "readFloatLE" => fbits(f64::from(buf.read_f32_le(o)?)),
                    "readFloatBE" => fbits(f64::from(buf.read_f32_be(o)?)),
                    "readDoubleLE" => fbits(buf.read_f64_le(o)?),
                    "readDoubleBE" => fbits(buf.read_f64_be(o)?),
                    "readBigUInt64LE" => buf.read_u64_le(o)?.to_string(),
                    "readBigUInt64BE" => buf.read_u64_be(o)?.to_string(),
                    "readBigInt64LE" => buf.read_i64_le(o)?.to_string(),
                    "readBigInt64BE" => buf.read_i64_be(o)?.to_string(),
                    m => {
                        let bl = usize::try_from(num(&a[1])).unwrap_or(99);
                        match m {
                            "readUIntLE" => buf.read_uint_le(o, bl)?.to_string(),
                            "readUIntBE" => buf.read_uint_be(o, bl)?.to_string(),
                            "readIntLE" => buf.read_int_le(o, bl)?.to_string(),
                            _ => buf.read_int_be(o, bl)?.to_string(),
                        }
                    }
                };
                json!(s)
            }
            "write" => {
                let o = num(&a[1]);
                let v = &a[0];
                let big = |v: &Value| v["big"].as_str().expect("big").to_string();
                let float = |v: &Value| {
                    let b = bytes_of(&json!({ "hex": v["bits"] }));
                    f64::from_le_bytes(b.try_into().expect("8 bytes"))
                };
                json!(match c.method {
                    "writeUInt8" => buf.write_u8(num(v) as u8, o)?,
                    "writeInt8" => buf.write_i8(num(v) as i8, o)?,
                    "writeUInt16LE" => buf.write_u16_le(num(v) as u16, o)?,
                    "writeUInt16BE" => buf.write_u16_be(num(v) as u16, o)?,
                    "writeInt16LE" => buf.write_i16_le(num(v) as i16, o)?,
                    "writeInt16BE" => buf.write_i16_be(num(v) as i16, o)?,
                    "writeUInt32LE" => buf.write_u32_le(num(v) as u32, o)?,
                    "writeUInt32BE" => buf.write_u32_be(num(v) as u32, o)?,
                    "writeInt32LE" => buf.write_i32_le(num(v) as i32, o)?,
                    "writeInt32BE" => buf.write_i32_be(num(v) as i32, o)?,
                    "writeFloatLE" => buf.write_f32_le(float(v) as f32, o)?,
                    "writeFloatBE" => buf.write_f32_be(float(v) as f32, o)?,
                    "writeDoubleLE" => buf.write_f64_le(float(v), o)?,
                    "writeDoubleBE" => buf.write_f64_be(float(v), o)?,
                    "writeBigUInt64LE" => buf.write_u64_le(big(v).parse().expect("u64"), o)?,
                    "writeBigUInt64BE" => buf.write_u64_be(big(v).parse().expect("u64"), o)?,
                    "writeBigInt64LE" => buf.write_i64_le(big(v).parse().expect("i64"), o)?,
                    "writeBigInt64BE" => buf.write_i64_be(big(v).parse().expect("i64"), o)?,
                    m => {
                        let bl = usize::try_from(num(&a[2])).unwrap_or(99);
                        match m {
                            "writeUIntLE" => buf.write_uint_le(num(v) as u64, o, bl)?,
                            "writeUIntBE" => buf.write_uint_be(num(v) as u64, o, bl)?,
                            "writeIntLE" => buf.write_int_le(num(v), o, bl)?,
                            _ => buf.write_int_be(num(v), o, bl)?,
                        }
                    }
                })
            }
            "fill" => {
                let owned;
                let v: Fill<'_> = match &a[0] {
                    Value::Number(n) => Fill::from(n.as_i64().expect("int")),
                    Value::String(s) => Fill::Str(s),
                    other => {
                        owned = bytes_of(other);
                        Fill::Bytes(&owned)
                    }
                };
                let end = a[2].as_i64();
                buf.fill_with(v, num(&a[1]), end, enc(&a[3]))?;
                json!(0)
            }
            "alloc" => {
                let size = num(&a[0]) as usize;
                let b = match &a[1] {
                    Value::String(s) => Buffer::alloc_fill(size, s.as_str(), enc(&a[2]))?,
                    other => Buffer::alloc_fill(size, &bytes_of(other)[..], enc(&a[2]))?,
                };
                json!(hex(&b))
            }
            "indexOf" | "lastIndexOf" => {
                let owned;
                let needle: Needle<'_> = match &a[0] {
                    Value::Number(n) => Needle::from(n.as_i64().expect("int")),
                    Value::String(s) => Needle::Str(s),
                    other => {
                        owned = bytes_of(other);
                        Needle::Bytes(&owned)
                    }
                };
                let e = enc(&a[2]);
                let r = match (c.op, a[1].as_i64()) {
                    ("indexOf", Some(o)) => buf.index_of_from(needle, o, e),
                    ("indexOf", None) => buf.index_of_from(needle, 0, e),
                    (_, Some(o)) => buf.last_index_of_from(needle, o, e),
                    (_, None) => buf.last_index_of_from(needle, buf.len() as i64, e),
                };
                json!(r.map_or(-1, |i| i as i64))
            }
            "compare" => {
                let t = bytes_of(&a[0]);
                let o = buf.compare_range(&t, num(&a[1]), num(&a[2]), num(&a[3]), num(&a[4]))?;
                json!(o as i8)
            }
            "copy" => {
                let mut t = Buffer::from(bytes_of(&a[0]));
                let n = buf.copy(&mut t, num(&a[1]), num(&a[2]), num(&a[3]))?;
                extra = json!(hex(&t));
                json!(n)
            }
            "writeString" => {
                let s = a[0].as_str().expect("string");
                json!(buf.write(s, num(&a[1]), a[2].as_i64(), enc(&a[3]))?)
            }
            "concat" => {
                let list: Vec<Buffer> = c.list.iter().map(|b| Buffer::from(b.clone())).collect();
                let total = a.first().map(|v| num(v) as usize);
                json!(hex(&Buffer::concat(&list, total)?))
            }
            "swap" => {
                match c.method {
                    "swap16" => buf.swap16()?,
                    "swap32" => buf.swap32()?,
                    _ => buf.swap64()?,
                };
                json!(0)
            }
            "json" => json!(buf.to_json()),
            op => panic!("unknown op {op}"),
        })
    })();
    match r {
        Ok(r) => json!({ "r": r, "buf": hex(&buf), "extra": extra }),
        Err(e) => json!({ "e": e.code(), "m": e.message() }),
    }
}

#[test]
fn offset_taking_operations_match_node() {
    let Some(node) = node_or_skip("offset_taking_operations_match_node") else {
        return;
    };
    let mut rng = Rng::new(0x0ff5e7);
    let cases = gen_cases(&mut rng);
    let input = json!(
        cases
            .iter()
            .map(|c| json!({ "op": c.op, "m": c.method, "buf": hex(&c.buf), "args": c.args, "list": c.list.iter().map(|b| hex(b)).collect::<Vec<_>>() }))
            .collect::<Vec<_>>()
    );
    let out = node_json(&node, SCRIPT, &input);
    assert_eq!(cases.len(), CASES);
    let out = node_answers(&out, CASES, "offset operation");
    let mut failures = Vec::new();
    let mut errors = 0;
    for (c, want) in cases.iter().zip(out) {
        let mut want = want.clone();
        if want.get("extra").is_none() && want.get("e").is_none() {
            want["extra"] = Value::Null;
        }
        let got = run(c);
        if got.get("e").is_some() {
            errors += 1;
        }
        if got != want {
            failures.push(format!(
                "{} {} buf={} args={}: rt {got} node {want}",
                c.op,
                c.method,
                hex(&c.buf),
                Value::from(c.args.clone())
            ));
        }
    }
    assert!(
        errors > 500,
        "the generator should reach many error paths ({errors})"
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures[..failures.len().min(25)].join("\n")
    );
    println!(
        "compared {} cases with node ({errors} of them errors)",
        cases.len()
    );
}
