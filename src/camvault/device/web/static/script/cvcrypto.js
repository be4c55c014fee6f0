/*
 * cvcrypto.js: the device web UI's own cryptography, in plain JavaScript.
 *
 * The pages must keep passwords off the wire on plain HTTP, where WebCrypto's SubtleCrypto does not exist
 * (it is limited to secure contexts) and where it could not do the device's schemes anyway (RSA PKCS#1 v1.5
 * encryption, AES-ECB). So everything is here, written for this project: SHA-256, AES-128 (ECB and CBC
 * with PKCS#7), RSA key generation and PKCS#1 v1.5 decryption with BigInt, and the Hikvision schemes built
 * on them (research notes hikvision.md):
 *
 *   sessionProof       sessionLogin password hash (§6.2)
 *   fieldKey/Field     "security=1" field encryption (§6.3)
 *   rsaGenerate, decryptChallenge, encryptActivationPassword   activation RSA/AES exchange (§7.2)
 *   strength, policyProblems                                    checkPasswordComplexity (§9) and the policy
 *
 * Randomness comes from crypto.getRandomValues, which browsers offer on every origin.
 * Every function is tested against the Python codecs in tests/browser/test_crypto_js.py.
 */
(function (global) {
  "use strict";

  // ------------------------------------------------------------------ bytes, hex, base64, UTF-8

  const encoder = new TextEncoder();
  const decoder = new TextDecoder("utf-8", { fatal: true });

  function utf8(text) {
    return encoder.encode(text);
  }

  function fromUtf8(bytes) {
    return decoder.decode(bytes);
  }

  function ascii(text) {
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code > 0x7f) throw new Error("not ASCII");
      out[i] = code;
    }
    return out;
  }

  function toHex(bytes) {
    let out = "";
    for (let i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    return out;
  }

  function fromHex(text) {
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(text)) throw new Error("not hex");
    const out = new Uint8Array(text.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(2 * i, 2), 16);
    return out;
  }

  function toBase64(bytes) {
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(binary);
  }

  function fromBase64(text) {
    const binary = atob(text.trim());
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  }

  function concat(a, b) {
    const out = new Uint8Array(a.length + b.length);
    out.set(a, 0);
    out.set(b, a.length);
    return out;
  }

  function randomBytes(count) {
    const out = new Uint8Array(count);
    global.crypto.getRandomValues(out);
    return out;
  }

  // ------------------------------------------------------------------ SHA-256 (FIPS 180-4)

  const K256 = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ]);

  function rotr(x, n) {
    return (x >>> n) | (x << (32 - n));
  }

  function sha256(message) {
    const length = message.length;
    const padded = new Uint8Array(((length + 9 + 63) >> 6) << 6);
    padded.set(message);
    padded[length] = 0x80;
    const view = new DataView(padded.buffer);
    view.setUint32(padded.length - 8, Math.floor(length / 0x20000000), false);
    view.setUint32(padded.length - 4, (length << 3) >>> 0, false);
    const h = new Uint32Array([
      0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ]);
    const w = new Uint32Array(64);
    for (let offset = 0; offset < padded.length; offset += 64) {
      for (let t = 0; t < 16; t++) w[t] = view.getUint32(offset + 4 * t, false);
      for (let t = 16; t < 64; t++) {
        const s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >>> 3);
        const s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >>> 10);
        w[t] = (w[t - 16] + s0 + w[t - 7] + s1) >>> 0;
      }
      let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
      for (let t = 0; t < 64; t++) {
        const S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        const ch = (e & f) ^ (~e & g);
        const t1 = (k + S1 + ch + K256[t] + w[t]) >>> 0;
        const S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        const maj = (a & b) ^ (a & c) ^ (b & c);
        const t2 = (S0 + maj) >>> 0;
        k = g;
        g = f;
        f = e;
        e = (d + t1) >>> 0;
        d = c;
        c = b;
        b = a;
        a = (t1 + t2) >>> 0;
      }
      h[0] = (h[0] + a) >>> 0;
      h[1] = (h[1] + b) >>> 0;
      h[2] = (h[2] + c) >>> 0;
      h[3] = (h[3] + d) >>> 0;
      h[4] = (h[4] + e) >>> 0;
      h[5] = (h[5] + f) >>> 0;
      h[6] = (h[6] + g) >>> 0;
      h[7] = (h[7] + k) >>> 0;
    }
    const out = new Uint8Array(32);
    const outView = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) outView.setUint32(4 * i, h[i], false);
    return out;
  }

  function sha256Hex(text) {
    return toHex(sha256(utf8(text)));
  }

  // ------------------------------------------------------------------ AES-128 (FIPS 197)

  const SBOX = new Uint8Array(256);
  const INV_SBOX = new Uint8Array(256);
  (function buildSbox() {
    const rotl8 = (x, shift) => ((x << shift) | (x >>> (8 - shift))) & 0xff;
    let p = 1;
    let q = 1;
    do {
      p = (p ^ ((p << 1) & 0xff) ^ (p & 0x80 ? 0x1b : 0)) & 0xff; // p * 3 in GF(2^8)
      q ^= q << 1; // q / 3
      q ^= q << 2;
      q ^= q << 4;
      q &= 0xff;
      if (q & 0x80) q ^= 0x09;
      SBOX[p] = (q ^ rotl8(q, 1) ^ rotl8(q, 2) ^ rotl8(q, 3) ^ rotl8(q, 4) ^ 0x63) & 0xff;
    } while (p !== 1);
    SBOX[0] = 0x63;
    for (let i = 0; i < 256; i++) INV_SBOX[SBOX[i]] = i;
  })();

  function xtime(a) {
    return ((a << 1) ^ (a & 0x80 ? 0x1b : 0)) & 0xff;
  }

  function gmul(a, b) {
    let product = 0;
    while (b) {
      if (b & 1) product ^= a;
      a = xtime(a);
      b >>= 1;
    }
    return product;
  }

  function expandKey(key) {
    if (key.length !== 16) throw new Error("AES-128 needs a 16-byte key");
    const words = new Uint8Array(176);
    words.set(key);
    let rcon = 1;
    for (let i = 16; i < 176; i += 4) {
      let t0 = words[i - 4], t1 = words[i - 3], t2 = words[i - 2], t3 = words[i - 1];
      if (i % 16 === 0) {
        const first = t0;
        t0 = SBOX[t1] ^ rcon;
        t1 = SBOX[t2];
        t2 = SBOX[t3];
        t3 = SBOX[first];
        rcon = xtime(rcon);
      }
      words[i] = words[i - 16] ^ t0;
      words[i + 1] = words[i - 15] ^ t1;
      words[i + 2] = words[i - 14] ^ t2;
      words[i + 3] = words[i - 13] ^ t3;
    }
    return words;
  }

  function addRoundKey(state, roundKeys, round) {
    for (let i = 0; i < 16; i++) state[i] ^= roundKeys[16 * round + i];
  }

  function encryptBlock(roundKeys, input) {
    const s = Uint8Array.from(input);
    const t = new Uint8Array(16);
    addRoundKey(s, roundKeys, 0);
    for (let round = 1; round <= 10; round++) {
      for (let c = 0; c < 4; c++) {
        for (let r = 0; r < 4; r++) t[4 * c + r] = SBOX[s[4 * ((c + r) % 4) + r]];
      }
      if (round < 10) {
        for (let c = 0; c < 4; c++) {
          const a0 = t[4 * c], a1 = t[4 * c + 1], a2 = t[4 * c + 2], a3 = t[4 * c + 3];
          s[4 * c] = xtime(a0) ^ xtime(a1) ^ a1 ^ a2 ^ a3;
          s[4 * c + 1] = a0 ^ xtime(a1) ^ xtime(a2) ^ a2 ^ a3;
          s[4 * c + 2] = a0 ^ a1 ^ xtime(a2) ^ xtime(a3) ^ a3;
          s[4 * c + 3] = xtime(a0) ^ a0 ^ a1 ^ a2 ^ xtime(a3);
        }
      } else {
        s.set(t);
      }
      addRoundKey(s, roundKeys, round);
    }
    return s;
  }

  function decryptBlock(roundKeys, input) {
    const s = Uint8Array.from(input);
    const t = new Uint8Array(16);
    addRoundKey(s, roundKeys, 10);
    for (let round = 9; round >= 0; round--) {
      for (let c = 0; c < 4; c++) {
        for (let r = 0; r < 4; r++) t[4 * ((c + r) % 4) + r] = INV_SBOX[s[4 * c + r]];
      }
      s.set(t);
      addRoundKey(s, roundKeys, round);
      if (round > 0) {
        for (let c = 0; c < 4; c++) {
          const a0 = s[4 * c], a1 = s[4 * c + 1], a2 = s[4 * c + 2], a3 = s[4 * c + 3];
          s[4 * c] = gmul(a0, 14) ^ gmul(a1, 11) ^ gmul(a2, 13) ^ gmul(a3, 9);
          s[4 * c + 1] = gmul(a0, 9) ^ gmul(a1, 14) ^ gmul(a2, 11) ^ gmul(a3, 13);
          s[4 * c + 2] = gmul(a0, 13) ^ gmul(a1, 9) ^ gmul(a2, 14) ^ gmul(a3, 11);
          s[4 * c + 3] = gmul(a0, 11) ^ gmul(a1, 13) ^ gmul(a2, 9) ^ gmul(a3, 14);
        }
      }
    }
    return s;
  }

  function aesEcbEncrypt(key, data) {
    if (data.length % 16) throw new Error("ECB input must be whole blocks");
    const roundKeys = expandKey(key);
    const out = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i += 16) out.set(encryptBlock(roundKeys, data.subarray(i, i + 16)), i);
    return out;
  }

  function pkcs7(data) {
    const pad = 16 - (data.length % 16);
    const out = new Uint8Array(data.length + pad);
    out.set(data);
    out.fill(pad, data.length);
    return out;
  }

  function aesCbcEncrypt(key, iv, data) {
    const roundKeys = expandKey(key);
    const padded = pkcs7(data);
    const out = new Uint8Array(padded.length);
    let previous = iv;
    for (let i = 0; i < padded.length; i += 16) {
      const block = new Uint8Array(16);
      for (let j = 0; j < 16; j++) block[j] = padded[i + j] ^ previous[j];
      previous = encryptBlock(roundKeys, block);
      out.set(previous, i);
    }
    return out;
  }

  function aesCbcDecrypt(key, iv, data) {
    if (!data.length || data.length % 16) throw new Error("CBC input must be whole blocks");
    const roundKeys = expandKey(key);
    const out = new Uint8Array(data.length);
    let previous = iv;
    for (let i = 0; i < data.length; i += 16) {
      const block = data.subarray(i, i + 16);
      const plain = decryptBlock(roundKeys, block);
      for (let j = 0; j < 16; j++) out[i + j] = plain[j] ^ previous[j];
      previous = block;
    }
    const pad = out[out.length - 1];
    if (pad < 1 || pad > 16) throw new Error("bad padding");
    for (let j = out.length - pad; j < out.length; j++) if (out[j] !== pad) throw new Error("bad padding");
    return out.subarray(0, out.length - pad);
  }

  // ------------------------------------------------------------------ RSA with BigInt

  const SMALL_PRIMES = (function sieve(limit) {
    const composite = new Uint8Array(limit + 1);
    const primes = [];
    for (let i = 2; i <= limit; i++) {
      if (composite[i]) continue;
      primes.push(BigInt(i));
      for (let j = i * i; j <= limit; j += i) composite[j] = 1;
    }
    return primes;
  })(2000);

  function bytesToBig(bytes) {
    return bytes.length ? BigInt("0x" + toHex(bytes)) : 0n;
  }

  function bigToBytes(value, length) {
    let hex = value.toString(16);
    if (hex.length % 2) hex = "0" + hex;
    const raw = fromHex(hex);
    if (raw.length > length) throw new Error("number too large");
    const out = new Uint8Array(length);
    out.set(raw, length - raw.length);
    return out;
  }

  function bitLength(value) {
    return value === 0n ? 0 : value.toString(2).length;
  }

  function modPow(base, exponent, modulus) {
    let result = 1n;
    base %= modulus;
    while (exponent > 0n) {
      if (exponent & 1n) result = (result * base) % modulus;
      exponent >>= 1n;
      base = (base * base) % modulus;
    }
    return result;
  }

  function modInverse(value, modulus) {
    let [oldR, r] = [value % modulus, modulus];
    let [oldS, s] = [1n, 0n];
    while (r !== 0n) {
      const quotient = oldR / r;
      [oldR, r] = [r, oldR - quotient * r];
      [oldS, s] = [s, oldS - quotient * s];
    }
    if (oldR !== 1n) throw new Error("not invertible");
    return ((oldS % modulus) + modulus) % modulus;
  }

  function randomBelow(limit) {
    // Uniform in [2, limit - 2] by rejection, for Miller-Rabin witnesses.
    const bytes = Math.ceil(bitLength(limit) / 8);
    for (let attempt = 0; attempt < 1000; attempt++) {
      const candidate = bytesToBig(randomBytes(bytes)) % limit;
      if (candidate >= 2n && candidate <= limit - 2n) return candidate;
    }
    throw new Error("no random witness");
  }

  function isProbablePrime(n, rounds) {
    if (n < 2n) return false;
    for (const p of SMALL_PRIMES) {
      if (n === p) return true;
      if (n % p === 0n) return false;
    }
    let d = n - 1n;
    let s = 0;
    while ((d & 1n) === 0n) {
      d >>= 1n;
      s++;
    }
    witness: for (let i = 0; i < rounds; i++) {
      let x = modPow(randomBelow(n), d, n);
      if (x === 1n || x === n - 1n) continue;
      for (let j = 1; j < s; j++) {
        x = (x * x) % n;
        if (x === n - 1n) continue witness;
      }
      return false;
    }
    return true;
  }

  const E = 65537n;

  function randomPrime(bits) {
    for (let attempt = 0; attempt < 100000; attempt++) {
      const bytes = randomBytes(bits / 8);
      bytes[0] |= 0xc0; // two top bits: the product of two such primes has exactly 2 * bits bits
      bytes[bytes.length - 1] |= 1;
      const candidate = bytesToBig(bytes);
      if ((candidate - 1n) % E === 0n) continue;
      if (isProbablePrime(candidate, 32)) return candidate;
    }
    throw new Error("no prime found");
  }

  function rsaGenerate(bits) {
    bits = bits || 1024;
    if (bits % 16) throw new Error("key size must be a multiple of 16");
    for (;;) {
      const p = randomPrime(bits / 2);
      const q = randomPrime(bits / 2);
      if (p === q) continue;
      const n = p * q;
      if (bitLength(n) !== bits) continue;
      const d = modInverse(E, (p - 1n) * (q - 1n));
      return { n, e: E, d, p, q, dp: d % (p - 1n), dq: d % (q - 1n), qInv: modInverse(q, p), bytes: bits / 8 };
    }
  }

  function rsaDecryptPkcs1(key, ciphertext) {
    if (ciphertext.length !== key.bytes) throw new Error("ciphertext length does not match the key");
    const c = bytesToBig(ciphertext);
    if (c >= key.n) throw new Error("ciphertext out of range");
    const m1 = modPow(c % key.p, key.dp, key.p);
    const m2 = modPow(c % key.q, key.dq, key.q);
    const h = (key.qInv * (((m1 - m2) % key.p) + key.p)) % key.p;
    const em = bigToBytes(m2 + h * key.q, key.bytes);
    if (em[0] !== 0 || em[1] !== 2) throw new Error("bad PKCS#1 v1.5 block");
    let separator = 2;
    while (separator < em.length && em[separator] !== 0) separator++;
    if (separator >= em.length || separator < 10) throw new Error("bad PKCS#1 v1.5 block");
    return em.subarray(separator + 1);
  }

  // ------------------------------------------------------------------ the device's schemes

  function xmlEscape(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function xmlUnescape(text) {
    return text
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, "&");
  }

  /** sessionLogin proof (§6.2). */
  function sessionProof(user, password, salt, challenge, iterations, irreversible) {
    if (irreversible === false) {
      let value = sha256Hex(password) + challenge;
      for (let i = 0; i < iterations - 1; i++) value = sha256Hex(value);
      return value;
    }
    let value = sha256Hex(sha256Hex(user + salt + password) + challenge);
    for (let i = 0; i < iterations - 2; i++) value = sha256Hex(value);
    return value;
  }

  /** The security=1 field key of a logged-in user (§6.3): 16 bytes. */
  function fieldKey(user, password, salt, iterations) {
    let value = sha256Hex(user + salt + password) + "AaBbCcDd1234!@#$";
    for (let i = 0; i < iterations; i++) value = sha256Hex(value);
    return fromHex(value.slice(0, 32));
  }

  /** Encrypt one field for security=1: hex(AES-128-CBC(base64(xmlEscape(value)))). */
  function encryptField(key, value, ivHex) {
    const plain = ascii(toBase64(utf8(xmlEscape(value))));
    return toHex(aesCbcEncrypt(key, fromHex(ivHex), plain));
  }

  function decryptField(key, hexText, ivHex) {
    const plain = aesCbcDecrypt(key, fromHex(ivHex), fromHex(hexText.trim()));
    return xmlUnescape(fromUtf8(fromBase64(fromUtf8(plain))));
  }

  function newIv() {
    return toHex(randomBytes(16));
  }

  /** The <PublicKey><key> of the activation challenge: base64 of the modulus in lowercase hex (§7.2). */
  function publicKeyParam(key) {
    return toBase64(ascii(key.n.toString(16)));
  }

  /** Recover the random text R from the challenge answer's <key> (base64 of hex of the ciphertext). */
  function decryptChallenge(key, keyField) {
    const hexText = fromUtf8(fromBase64(keyField));
    const randomText = fromUtf8(rsaDecryptPkcs1(key, fromHex(hexText)));
    if (!/^[0-9a-fA-F]{32}$/.test(randomText)) throw new Error("the challenge did not decrypt");
    return randomText;
  }

  /** The <ActivateInfo><password>: base64(hex(AES-128-ECB(hex->bytes(R), zero-pad(R[0:16] + password)))). */
  function encryptActivationPassword(randomText, password) {
    const data = utf8(randomText.slice(0, 16) + password);
    const padded = new Uint8Array(Math.ceil(data.length / 16) * 16);
    padded.set(data);
    return toBase64(ascii(toHex(aesEcbEncrypt(fromHex(randomText), padded))));
  }

  // ------------------------------------------------------------------ password rules (§9)

  /** Hikvision's checkPasswordComplexity: 0 risky, 1 weak, 2 medium, 3 strong. */
  function strength(password, user) {
    let score = 0;
    if (/[a-z]/.test(password)) score += 1;
    if (/[A-Z]/.test(password)) score += score > 0 ? 2 : 1;
    if (/[0-9]/.test(password)) score += 1;
    if (/[^a-zA-Z0-9]/.test(password)) score += score > 0 ? 2 : 1;
    const reversed = Array.from(user).reverse().join("");
    if (password.length < 8 || password === user || password === reversed) score = 0;
    if (score > 0) score -= 1;
    return Math.min(score, 3);
  }

  const LEVELS = ["risky", "weak", "medium", "strong"];

  /** Reasons the device's policy refuses a password, in the device's order (camvault.passwords). */
  function policyProblems(password, user) {
    if (!password) return ["empty"];
    const problems = [];
    const chars = Array.from(password);
    if (!chars.every((c) => c >= " " && c <= "~")) problems.push("disallowed_character");
    if (chars.length < 8) problems.push("too_short");
    if (chars.length > 16) problems.push("too_long");
    if (user.length >= 3 && password.toLowerCase().includes(user.toLowerCase())) problems.push("contains_username");
    if (strength(password, user) < 1) problems.push("risky");
    return problems;
  }

  global.CvCrypto = Object.freeze({
    utf8,
    fromUtf8,
    toHex,
    fromHex,
    toBase64,
    fromBase64,
    concat,
    randomBytes,
    sha256,
    sha256Hex,
    aesEcbEncrypt,
    aesCbcEncrypt,
    aesCbcDecrypt,
    rsaGenerate,
    rsaDecryptPkcs1,
    isProbablePrime,
    sessionProof,
    fieldKey,
    encryptField,
    decryptField,
    newIv,
    publicKeyParam,
    decryptChallenge,
    encryptActivationPassword,
    strength,
    policyProblems,
    LEVELS,
  });
})(typeof window !== "undefined" ? window : globalThis);
