#!/usr/bin/env python3
"""Independent check of a Soi Đường portable credential's eddsa-jcs-2022 proof.

Usage: check_credential.py FILE.json

Written from the W3C "Data Integrity EdDSA Cryptosuites v1.0" spec, sharing no code with the
Rust implementation: the public key comes from the did:key in the proof's verificationMethod
(multicodec 0xed01, base58btc), the proof configuration (proof without proofValue, with the
document's @context) and the document without its proof are each JCS-canonicalised
(RFC 8785) and SHA-256 hashed, and the Ed25519 signature in proofValue (multibase 'z',
base58btc) is checked over proofConfigHash || documentHash.

Prints "credential OK" and exits 0 when the proof verifies; prints why and exits 1 otherwise.

Requirements: pip install cryptography jcs
"""

import copy
import hashlib
import json
import sys

import jcs
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58decode(text: str) -> bytes:
    """Bitcoin-alphabet base58 (what multibase 'z' means); leading '1's are zero bytes."""
    number = 0
    for ch in text:
        digit = B58_ALPHABET.find(ch)
        if digit < 0:
            raise ValueError(f"not base58: {ch!r}")
        number = number * 58 + digit
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    zeros = len(text) - len(text.lstrip("1"))
    return b"\x00" * zeros + body


def fail(message: str) -> None:
    print(f"credential FAILED: {message}")
    sys.exit(1)


def public_key_from_did_key(method: str) -> Ed25519PublicKey:
    did = method.split("#", 1)[0]
    if not did.startswith("did:key:z"):
        fail(f"verificationMethod is not a base58btc did:key: {method}")
    raw = b58decode(did[len("did:key:z"):])
    if raw[:2] != b"\xed\x01" or len(raw) != 34:
        fail("did:key is not an Ed25519 public key (multicodec 0xed01)")
    if "#" in method and method.split("#", 1)[1] != did[len("did:key:"):]:
        fail("verificationMethod fragment does not name the did:key's own key")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def main() -> None:
    if len(sys.argv) != 2:
        print(__doc__.split("\n\n")[1])
        sys.exit(2)
    with open(sys.argv[1], encoding="utf-8") as f:
        secured = json.load(f)

    proof = secured.get("proof")
    if not isinstance(proof, dict):
        fail("no single proof object")
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != "eddsa-jcs-2022":
        fail(f"not an eddsa-jcs-2022 DataIntegrityProof: {proof.get('type')} {proof.get('cryptosuite')}")
    if proof.get("proofPurpose") != "assertionMethod":
        fail("proofPurpose is not assertionMethod")
    value = proof.get("proofValue", "")
    if not value.startswith("z"):
        fail("proofValue is not multibase base58btc")
    signature = b58decode(value[1:])
    if len(signature) != 64:
        fail(f"signature has {len(signature)} bytes, not 64")
    key = public_key_from_did_key(proof.get("verificationMethod", ""))

    document = copy.deepcopy(secured)
    del document["proof"]
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in config:
        ctx = config["@context"] if isinstance(config["@context"], list) else [config["@context"]]
        doc_ctx = document.get("@context", [])
        doc_ctx = doc_ctx if isinstance(doc_ctx, list) else [doc_ctx]
        if doc_ctx[: len(ctx)] != ctx:
            fail("proof @context is not a prefix of the document's @context")
        document["@context"] = config["@context"]
    elif "@context" in document:
        config["@context"] = document["@context"]

    hash_data = hashlib.sha256(jcs.canonicalize(config)).digest() + hashlib.sha256(
        jcs.canonicalize(document)
    ).digest()
    try:
        key.verify(signature, hash_data)
    except InvalidSignature:
        fail("the signature does not match the document")

    issuer = secured.get("issuer", {})
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer_id != proof["verificationMethod"].split("#", 1)[0]:
        fail("the proof's key is not the issuer's did:key")
    print("credential OK")


if __name__ == "__main__":
    main()
