using System.Buffers.Binary;
using System.Text;

namespace HandWrite.Core.Native;

/// <summary>
/// Two 2-byte edits to an x86-64 ELF shared library so that one symbol's version requirement no
/// longer blocks loading: the symbol's .gnu.version entry becomes 1 (global, unversioned) and the
/// version's .gnu.version_r entry gets VER_FLG_WEAK. Why: TorchSharp 0.107's libLibTorchSharp.so
/// asks GLIBCXX_3.4.32 (GCC 13) only for std::ios_base_library_init(), a symbol GCC 13's iostream
/// merely references; Debian 12's libstdc++ (GCC 12) lacks that version, so the loader refuses it.
/// </summary>
public static class ElfVersionPatch
{
    const int SHT_DYNSYM = 11, SHT_GNU_verneed = 0x6ffffffe, SHT_GNU_versym = 0x6fffffff;
    const ushort VER_FLG_WEAK = 0x2;

    public enum State { NotNeeded, NeedsPatch, AlreadyPatched }

    /// <summary>Looks at the library without changing it.</summary>
    public static State Inspect(byte[] elf, string symbol, string version) => Locate(elf, symbol, version) switch
    {
        null => State.NotNeeded,
        var (versymOffset, vernauxFlagsOffset, _) when
            BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(versymOffset)) == 1 &&
            (BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(vernauxFlagsOffset)) & VER_FLG_WEAK) != 0 => State.AlreadyPatched,
        _ => State.NeedsPatch,
    };

    /// <summary>Returns a patched copy, or null when the library does not tie <paramref name="symbol"/> to <paramref name="version"/>.</summary>
    public static byte[]? Patch(byte[] elf, string symbol, string version)
    {
        var place = Locate(elf, symbol, version);
        if (place is null) return null;
        var (versymOffset, vernauxFlagsOffset, _) = place.Value;
        var copy = (byte[])elf.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(versymOffset), 1);
        var flags = BinaryPrimitives.ReadUInt16LittleEndian(copy.AsSpan(vernauxFlagsOffset));
        BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(vernauxFlagsOffset), (ushort)(flags | VER_FLG_WEAK));
        return copy;
    }

    /// <summary>File offsets of the symbol's versym entry and of the version's vna_flags, or null if the pair is absent.</summary>
    static (int VersymOffset, int VernauxFlagsOffset, ushort VersionIndex)? Locate(byte[] elf, string symbol, string version)
    {
        var e = elf.AsSpan();
        if (e.Length < 64 || e[0] != 0x7f || e[1] != (byte)'E' || e[2] != (byte)'L' || e[3] != (byte)'F')
            throw new InvalidDataException("Not an ELF file.");
        if (e[4] != 2 || e[5] != 1) throw new InvalidDataException("Only 64-bit little-endian ELF files are supported.");
        long shoff = (long)BinaryPrimitives.ReadUInt64LittleEndian(e[0x28..]);
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(e[0x3A..]);
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(e[0x3C..]);
        if (shoff <= 0 || shentsize < 64 || shoff + (long)shentsize * shnum > e.Length)
            throw new InvalidDataException("ELF section header table is out of bounds.");

        (int Type, long Offset, long Size, int Link, long EntSize, int Info) Section(int i)
        {
            var s = elf.AsSpan((int)(shoff + (long)i * shentsize), 64);
            return (BinaryPrimitives.ReadInt32LittleEndian(s[4..]), (long)BinaryPrimitives.ReadUInt64LittleEndian(s[0x18..]),
                    (long)BinaryPrimitives.ReadUInt64LittleEndian(s[0x20..]), BinaryPrimitives.ReadInt32LittleEndian(s[0x28..]),
                    (long)BinaryPrimitives.ReadUInt64LittleEndian(s[0x38..]), BinaryPrimitives.ReadInt32LittleEndian(s[0x2C..]));
        }

        int dynsym = -1, versym = -1, verneed = -1;
        for (int i = 0; i < shnum; i++)
            switch (Section(i).Type)
            {
                case SHT_DYNSYM: dynsym = i; break;
                case SHT_GNU_versym: versym = i; break;
                case SHT_GNU_verneed: verneed = i; break;
            }
        if (dynsym < 0 || versym < 0 || verneed < 0) return null;

        var sym = Section(dynsym);
        var strtab = Section(sym.Link);
        string Str(long offset)
        {
            int start = checked((int)(strtab.Offset + offset));
            int end = elf.AsSpan(start).IndexOf((byte)0);
            return Encoding.ASCII.GetString(elf, start, end);
        }

        // The version's index and where its flags live, from the verneed chain.
        var need = Section(verneed);
        int? flagsOffset = null; ushort versionIndex = 0;
        long vn = need.Offset;
        for (int n = 0; n < need.Info && flagsOffset is null; n++)
        {
            int cnt = BinaryPrimitives.ReadUInt16LittleEndian(e[(int)(vn + 2)..]);
            long aux = vn + BinaryPrimitives.ReadUInt32LittleEndian(e[(int)(vn + 8)..]);
            for (int a = 0; a < cnt; a++)
            {
                if (Str(BinaryPrimitives.ReadUInt32LittleEndian(e[(int)(aux + 8)..])) == version)
                {
                    flagsOffset = (int)(aux + 4);
                    versionIndex = BinaryPrimitives.ReadUInt16LittleEndian(e[(int)(aux + 6)..]);
                    break;
                }
                aux += BinaryPrimitives.ReadUInt32LittleEndian(e[(int)(aux + 12)..]);
            }
            vn += BinaryPrimitives.ReadUInt32LittleEndian(e[(int)(vn + 12)..]);
        }
        if (flagsOffset is null) return null;

        long count = sym.Size / Math.Max(sym.EntSize, 24);
        var versymSection = Section(versym);
        for (long i = 0; i < count; i++)
        {
            var entry = e.Slice((int)(sym.Offset + i * 24), 24);
            if (Str(BinaryPrimitives.ReadUInt32LittleEndian(entry)) != symbol) continue;
            int versymOffset = (int)(versymSection.Offset + i * 2);
            ushort current = BinaryPrimitives.ReadUInt16LittleEndian(e[versymOffset..]);
            // Either still tied to the version, or already moved to global by an earlier patch.
            if ((current & 0x7fff) == versionIndex || current == 1)
                return (versymOffset, flagsOffset.Value, versionIndex);
        }
        return null;
    }
}
