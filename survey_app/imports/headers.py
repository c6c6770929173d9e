"""Column names of the exports Indonesian shops download, in Indonesian and English, and the role each suggests.

Sources of the names (each fixture in tests/data/marketplace/ says the same beside its own shape):
Shopee Seller Centre "Pesanan Saya > Ekspor" (No. Pesanan, Status Pesanan, Waktu Pesanan Dibuat, Nama Produk,
Username (Pembeli), Nama Penerima, No. Telepon, Kota/Kabupaten, Provinsi...) as read by public parsers on GitHub;
Tokopedia "Laporan Penjualan" (Nomor Invoice, Tanggal Pembayaran, Status Terakhir, Nama Pembeli...); TikTok Shop
"Order ID, Order Status, Order Substatus, Cancelation/Return Type, ..., Created Time, Paid Time, Buyer Username,
Recipient, Phone #"; Shopify's documented orders export (Name, Email, Financial Status, Paid at, ..., Billing Name,
Billing Phone, ...); WooCommerce's Customer/Order CSV Export default format (order_id, order_number, date, status,
billing_first_name, billing_last_name, billing_email, billing_phone, ...).
"""
from __future__ import annotations

import re

ORDER, NAME, PHONE, EMAIL, TIME, LANGUAGE, STATUS = "order_ref", "name", "phone", "email", "purchased_at", "language", \
    "status"
SEGMENT, KEEP, DROP = "segment", "keep", "drop"
ROLES = (ORDER, NAME, PHONE, EMAIL, TIME, LANGUAGE, STATUS, SEGMENT, KEEP, DROP)

# Per role, the names that suggest it, best first: the first one a file has takes the role.
ROLE_NAMES = {
    ORDER: ("order ref", "no pesanan", "nomor pesanan", "nomor invoice", "no invoice", "invoice", "order id",
            "order number", "order no", "id pesanan"),
    NAME: ("name", "customer name", "nama pembeli", "nama pelanggan", "nama penerima", "nama", "billing name",
           "buyer name", "recipient", "shipping name"),
    PHONE: ("phone", "no telepon", "nomor telepon", "telepon", "no telp pembeli", "no telp penerima", "no telp",
            "no hp", "nomor hp", "handphone", "whatsapp", "no wa", "billing phone", "phone number", "shipping phone"),
    EMAIL: ("email", "e mail", "alamat email", "billing email", "customer email"),
    TIME: ("purchased at", "waktu pesanan dibuat", "tanggal pesanan", "created time", "created at", "order date",
           "date", "tanggal pembayaran", "waktu pembayaran dilakukan", "paid time", "paid at", "tanggal"),
    LANGUAGE: ("language", "bahasa"),
    STATUS: ("status", "status pesanan", "status terakhir", "order status", "financial status"),
}
# Worth slicing the dashboard by: few distinct values per shop.
SEGMENT_NAMES = ("store", "toko", "nama toko", "product", "produk", "nama produk", "product name", "lineitem name",
                 "kota kabupaten", "kota", "city", "billing city", "provinsi", "province", "state", "kurir",
                 "opsi pengiriman", "shipping provider name", "delivery option", "shipping method", "metode pembayaran",
                 "payment method", "gudang", "warehouse", "kategori", "category", "channel penjualan", "source")
# Addresses, notes and tracking numbers: personal or one value per order, never needed for a survey.
DROP_PATTERN = re.compile(r"alamat|address|street|kode pos|postcode|zip|catatan|note|pesan|message|resi|tracking|"
                          r"username|nik|ktp|company")

# Files whose columns say which platform wrote them, and the roles that differ from the general names there.
PLATFORMS = {
    "shopify": ({"financial status", "lineitem name", "billing name"},
                {"name": ORDER, "billing name": NAME, "billing phone": PHONE, "phone": KEEP}),
    "woocommerce": ({"order id", "billing first name", "billing email"},
                    {"billing first name": NAME, "billing last name": NAME, "order number": KEEP, "date": TIME}),
    "tiktok_shop": ({"order id", "order substatus", "buyer username"}, {"recipient": NAME, "phone #": PHONE}),
    "tokopedia": ({"nomor invoice", "status terakhir"}, {}),
    "shopee": ({"no pesanan", "status pesanan"}, {}),
}


def normal(header: str) -> str:
    """'No. Pesanan' -> 'no pesanan', 'billing_first_name' -> 'billing first name', 'Phone #' -> 'phone'."""
    return " ".join(re.sub(r"[^\w]+|_", " ", header.casefold()).split())


def platform_of(headers: list[str]) -> str:
    names = {normal(h) for h in headers}
    return next((name for name, (signature, _) in PLATFORMS.items() if signature <= names), "")


def suggest_roles(headers: list[str]) -> tuple[str, ...]:
    """One role per column: the platform's own first, then each role's best name present, then segment hints,
    personal or per-order columns dropped, the rest kept."""
    names = [normal(h) for h in headers]
    platform = platform_of(headers)
    overrides = {normal(k): v for k, v in PLATFORMS[platform][1].items()} if platform else {}
    roles: list[str | None] = [overrides.get(n) for n in names]
    for role, candidates in ROLE_NAMES.items():
        if role in roles:
            continue
        for candidate in candidates:
            if candidate in names and roles[names.index(candidate)] is None:
                roles[names.index(candidate)] = role
                break
    return tuple(role or (SEGMENT if name in SEGMENT_NAMES else DROP if DROP_PATTERN.search(name) or not name
                          else KEEP) for name, role in zip(names, roles))
