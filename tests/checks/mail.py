"""Test messages signed with dkimpy, as the CIMcloud website's mail arrives in a mailbox, and their keys."""

from __future__ import annotations

import base64
import functools

import dkim
import nacl.signing
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.lab import Lab

DOMAIN = "shop-proof.test"
SELECTOR = "cimcloud-a94fdfc80c2c46c7"
CIMCLOUD_IP = "198.51.100.7"  # inside _spf.mycimcloud.com in the lab
BODY = b"Thank you for your order #1001.\r\n\r\nIt will ship tomorrow.\r\n"


@functools.cache
def private_key(name: str) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(name: str) -> bytes:
    return private_key(name).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )


def key_record(name: str) -> str:
    """The DKIM TXT record for the key, as two quoted strings (it is longer than one string may be)."""
    der = (
        private_key(name)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    text = f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode()}"
    return f'"{text[:200]}" "{text[200:]}"'


@functools.cache
def ed25519_key(name: str) -> nacl.signing.SigningKey:
    return nacl.signing.SigningKey.generate()


def ed25519_record(name: str) -> str:
    return f"v=DKIM1; k=ed25519; p={base64.b64encode(bytes(ed25519_key(name).verify_key)).decode()}"


def publish_key(lab: Lab, zone: str, selector: str, key: str, *, ed25519: bool = False) -> None:
    record = ed25519_record(key) if ed25519 else key_record(key)
    lab.update(zone, replace=[(f"{selector}._domainkey", 300, "TXT", record)])


def message(*, from_addr: str = f"orders@{DOMAIN}", body: bytes = BODY, subject: str = "Your order #1001") -> bytes:
    return (
        f"From: Shop <{from_addr}>\r\nTo: buyer@example.net\r\nSubject: {subject}\r\n"
        "Date: Tue, 01 Dec 2026 09:00:00 +0000\r\nMessage-ID: <1001@web1.mycimcloud.com>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    ).encode() + body


def sign(
    msg: bytes,
    *,
    domain: str = DOMAIN,
    selector: str = SELECTOR,
    key: str = "cimcloud",
    length: bool = False,
    ed25519: bool = False,
) -> bytes:
    private = base64.b64encode(bytes(ed25519_key(key))) if ed25519 else private_pem(key)
    header = dkim.sign(
        msg, selector.encode(), domain.encode(), private,
        include_headers=[b"from", b"to", b"subject", b"date", b"message-id"], length=length,
        signature_algorithm=b"ed25519-sha256" if ed25519 else b"rsa-sha256",
    )  # fmt: skip
    return header + msg


def delivered(msg: bytes, *, ip: str = CIMCLOUD_IP, mail_from: str = f"bounce@{DOMAIN}", results: str = "") -> bytes:
    """The message as the receiving server stored it: its Authentication-Results, Received-SPF, Received on top."""
    lines = []
    if results:
        lines.append(f"Authentication-Results: mx.example.net; {results}")
    lines += [
        f"Received-SPF: pass (mx.example.net: domain of {mail_from} designates {ip} as permitted sender) "
        f"client-ip={ip}; envelope-from={mail_from}; helo=web1.mycimcloud.com;",
        f"Received: from web1.mycimcloud.com (web1.mycimcloud.com [{ip}]) by mx.example.net with ESMTPS id x1; "
        "Tue, 01 Dec 2026 09:00:01 +0000",
        f"Return-Path: <{mail_from}>",
    ]
    return ("\r\n".join(lines) + "\r\n").encode() + msg
