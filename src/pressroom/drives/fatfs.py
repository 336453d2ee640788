"""Free space of a FAT12/16/32 volume, counted from its allocation table.

fusefat answers ``statvfs`` on FAT32 with zero blocks, so the station would refuse every
FAT32 stick as full. The FSInfo sector's free count is only a hint (drivers may leave it
stale), so this counts free clusters in the first FAT, read from the block device. The
boot sector is attacker input: every field is checked against the device's size and the
FAT specification's limits before anything is read, and the read is bounded.
"""

from __future__ import annotations

import os
import struct
import sys
from array import array
from dataclasses import dataclass

MAX_FAT_BYTES = 1 << 30  # FAT32's 0x0FFFFFF5 clusters x 4 bytes stays below this


@dataclass(frozen=True)
class FatGeometry:
    bits: int  # 12, 16 or 32
    bytes_per_sector: int
    sectors_per_cluster: int
    fat_offset: int  # bytes from the start of the volume to the first FAT
    fat_bytes: int  # bytes of one FAT
    clusters: int  # data clusters (numbered 2 .. clusters + 1)

    @property
    def cluster_bytes(self) -> int:
        return self.bytes_per_sector * self.sectors_per_cluster


def parse_boot_sector(boot: bytes, volume_size: int) -> FatGeometry | None:
    """The FAT layout a boot sector describes, or None if it is not a sane FAT volume."""
    if len(boot) < 512 or boot[510:512] != b"\x55\xaa":
        return None
    bps, spc, reserved, nfats, root_entries, total16, _media, fat16 = struct.unpack_from(
        "<HBHBHHBH", boot, 11
    )
    total32, fat32 = struct.unpack_from("<II", boot, 32)
    if bps not in (512, 1024, 2048, 4096) or spc == 0 or spc & (spc - 1) or spc > 128:
        return None
    if reserved == 0 or nfats not in (1, 2):
        return None
    total = total16 or total32
    fat_sectors = fat16 or fat32
    if total == 0 or fat_sectors == 0 or total * bps > volume_size:
        return None
    root_sectors = (root_entries * 32 + bps - 1) // bps
    meta = reserved + nfats * fat_sectors + root_sectors
    if meta >= total:
        return None
    clusters = (total - meta) // spc
    bits = 12 if clusters < 4085 else 16 if clusters < 65525 else 32
    if bits == 32 and (fat16 != 0 or root_entries != 0):
        return None
    need = (clusters + 2) * bits // 8 + 1
    fat_bytes = fat_sectors * bps
    if fat_bytes < need or fat_bytes > MAX_FAT_BYTES:
        return None
    return FatGeometry(bits, bps, spc, reserved * bps, fat_bytes, clusters)


def count_free(fat: bytes, geo: FatGeometry) -> int:
    """Clusters marked free (0) among 2 .. clusters + 1."""
    n = geo.clusters
    if geo.bits == 12:
        free = 0
        for c in range(2, n + 2):
            pair = fat[c * 3 // 2] | fat[c * 3 // 2 + 1] << 8
            free += ((pair >> 4) if c & 1 else (pair & 0xFFF)) == 0
        return free
    code = "H" if geo.bits == 16 else "I"
    width = geo.bits // 8
    raw = bytearray(fat[2 * width : (n + 2) * width])
    if geo.bits == 32:  # the top 4 bits are reserved: 0x?0000000 is free too
        raw[3::4] = raw[3::4].translate(_LOW_NIBBLE)  # one C pass, not sixteen counts
    entries = array(code, raw)
    if sys.byteorder != "little":
        entries.byteswap()
    return entries.count(0)


# Each byte with its high nibble cleared: FAT32 entries are 28 bits in 32.
_LOW_NIBBLE = bytes(b & 0x0F for b in range(256))


def fat_free_bytes(device: str) -> int | None:
    """Free bytes on the FAT volume on ``device``, or None if it holds no readable FAT."""
    try:
        fd = os.open(device, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        size = os.lseek(fd, 0, os.SEEK_END)
        geo = parse_boot_sector(os.pread(fd, 512, 0), size)
        if geo is None:
            return None
        fat = bytearray()
        while len(fat) < geo.fat_bytes:
            got = os.pread(fd, min(8 << 20, geo.fat_bytes - len(fat)), geo.fat_offset + len(fat))
            if not got:
                return None
            fat += got
        return count_free(bytes(fat), geo) * geo.cluster_bytes
    except OSError:
        return None
    finally:
        os.close(fd)
