using System.Buffers.Binary;
using System.Text;

namespace ElfCompat;

/// <summary>One symbol-version requirement of a shared object (an Elf64_Vernaux entry).</summary>
/// <param name="FlagsOffset">File offset of the entry's 16-bit vna_flags field.</param>
public sealed record VersionNeed(string Library, string Version, ushort Index, ushort Flags, long FlagsOffset)
{
    /// <summary>VER_FLG_WEAK: the dynamic loader warns instead of failing when the version is absent.</summary>
    public const ushort WeakFlag = 0x2;
    public bool IsWeak => (Flags & WeakFlag) != 0;
}

/// <summary>A dynamic symbol and the version index (from .gnu.version) it is bound to.</summary>
public sealed record VersionedSymbol(string Name, ushort VersionIndex);

/// <summary>
/// Reads the dynamic-linking version sections of a 64-bit little-endian ELF shared object
/// (x86-64 and AArch64 Linux): what versions it needs, what versions it defines, and which
/// dynamic symbols use each version.
/// </summary>
public sealed class ElfImage
{
    private const uint ShtDynsym = 11;
    private const uint ShtGnuVerdef = 0x6ffffffd;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const uint ShtGnuVersym = 0x6fffffff;

    private readonly byte[] _bytes;
    private readonly List<Section> _sections;

    public string Path { get; }
    public IReadOnlyList<VersionNeed> Needs { get; }
    public IReadOnlyList<string> Definitions { get; }

    private ElfImage(string path, byte[] bytes)
    {
        Path = path;
        _bytes = bytes;
        _sections = ReadSections();
        Needs = ReadNeeds();
        Definitions = ReadDefinitions();
    }

    public static ElfImage Load(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ElfFormatException(path, $"cannot be read ({e.Message})");
        }
        return new ElfImage(path, bytes);
    }

    /// <summary>The raw file contents (for writing a patched copy).</summary>
    public byte[] Bytes => _bytes;

    /// <summary>Dynamic symbols bound to the given version index.</summary>
    public IReadOnlyList<VersionedSymbol> SymbolsUsing(ushort versionIndex)
    {
        var dynsym = _sections.FirstOrDefault(s => s.Type == ShtDynsym);
        var versym = _sections.FirstOrDefault(s => s.Type == ShtGnuVersym);
        if (dynsym is null || versym is null) return [];
        var strtab = SectionAt((int)dynsym.Link, ".dynsym's string table");
        const int symSize = 24;
        int count = (int)(dynsym.Size / symSize);
        var result = new List<VersionedSymbol>();
        for (int i = 0; i < count; i++)
        {
            ushort ver = (ushort)(U16(versym.Offset + 2L * i) & 0x7fff);
            if (ver != versionIndex) continue;
            uint nameOffset = U32(dynsym.Offset + (long)i * symSize);
            result.Add(new VersionedSymbol(CString(strtab.Offset + nameOffset), ver));
        }
        return result;
    }

    private sealed record Section(uint Type, long Offset, long Size, uint Link, uint Info);

    private List<Section> ReadSections()
    {
        if (_bytes.Length < 64 || _bytes[0] != 0x7f || _bytes[1] != (byte)'E' || _bytes[2] != (byte)'L' || _bytes[3] != (byte)'F')
            throw new ElfFormatException(Path, "not an ELF file (missing the \\x7fELF magic)");
        if (_bytes[4] != 2) throw new ElfFormatException(Path, $"expected a 64-bit ELF file (EI_CLASS 2), found class {_bytes[4]}");
        if (_bytes[5] != 1) throw new ElfFormatException(Path, $"expected a little-endian ELF file (EI_DATA 1), found {_bytes[5]}");
        long shoff = (long)U64(0x28);
        int shentsize = U16(0x3A), shnum = U16(0x3C);
        if (shentsize != 64) throw new ElfFormatException(Path, $"expected 64-byte section headers, found {shentsize}");
        if (shoff <= 0 || shoff + (long)shnum * shentsize > _bytes.Length)
            throw new ElfFormatException(Path, $"section header table ({shnum} entries at offset {shoff}) lies outside the file ({_bytes.Length} bytes)");
        var list = new List<Section>(shnum);
        for (int i = 0; i < shnum; i++)
        {
            long h = shoff + (long)i * shentsize;
            var s = new Section(U32(h + 4), (long)U64(h + 24), (long)U64(h + 32), U32(h + 40), U32(h + 44));
            if (s.Type != 8 /* NOBITS */ && s.Offset + s.Size > _bytes.Length)
                throw new ElfFormatException(Path, $"section {i} (type 0x{s.Type:x}) extends past the end of the file");
            list.Add(s);
        }
        return list;
    }

    private Section SectionAt(int index, string what) =>
        index >= 0 && index < _sections.Count ? _sections[index]
            : throw new ElfFormatException(Path, $"{what} refers to section {index}, which does not exist");

    private List<VersionNeed> ReadNeeds()
    {
        var result = new List<VersionNeed>();
        var sec = _sections.FirstOrDefault(s => s.Type == ShtGnuVerneed);
        if (sec is null) return result;
        var strtab = SectionAt((int)sec.Link, ".gnu.version_r's string table");
        long vn = sec.Offset;
        for (uint n = 0; n < sec.Info; n++)
        {
            // Elf64_Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32
            ushort cnt = U16(vn + 2);
            string file = CString(strtab.Offset + U32(vn + 4));
            long aux = vn + U32(vn + 8);
            for (int a = 0; a < cnt; a++)
            {
                // Elf64_Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32
                CheckRange(aux, 16, ".gnu.version_r auxiliary entry");
                result.Add(new VersionNeed(file, CString(strtab.Offset + U32(aux + 8)), U16(aux + 6), U16(aux + 4), aux + 4));
                uint next = U32(aux + 12);
                if (next == 0) break;
                aux += next;
            }
            uint vnNext = U32(vn + 12);
            if (vnNext == 0) break;
            vn += vnNext;
        }
        return result;
    }

    private List<string> ReadDefinitions()
    {
        var result = new List<string>();
        var sec = _sections.FirstOrDefault(s => s.Type == ShtGnuVerdef);
        if (sec is null) return result;
        var strtab = SectionAt((int)sec.Link, ".gnu.version_d's string table");
        long vd = sec.Offset;
        for (uint n = 0; n < sec.Info; n++)
        {
            // Elf64_Verdef: vd_version u16, vd_flags u16, vd_ndx u16, vd_cnt u16, vd_hash u32, vd_aux u32, vd_next u32
            CheckRange(vd, 20, ".gnu.version_d entry");
            long aux = vd + U32(vd + 12);
            result.Add(CString(strtab.Offset + U32(aux)));
            uint next = U32(vd + 16);
            if (next == 0) break;
            vd += next;
        }
        return result;
    }

    private void CheckRange(long offset, int length, string what)
    {
        if (offset < 0 || offset + length > _bytes.Length)
            throw new ElfFormatException(Path, $"{what} at offset {offset} lies outside the file");
    }

    private ushort U16(long o) { CheckRange(o, 2, "field"); return BinaryPrimitives.ReadUInt16LittleEndian(_bytes.AsSpan((int)o)); }
    private uint U32(long o) { CheckRange(o, 4, "field"); return BinaryPrimitives.ReadUInt32LittleEndian(_bytes.AsSpan((int)o)); }
    private ulong U64(long o) { CheckRange(o, 8, "field"); return BinaryPrimitives.ReadUInt64LittleEndian(_bytes.AsSpan((int)o)); }

    private string CString(long o)
    {
        CheckRange(o, 1, "string");
        int end = Array.IndexOf(_bytes, (byte)0, (int)o);
        if (end < 0) throw new ElfFormatException(Path, $"unterminated string at offset {o}");
        return Encoding.ASCII.GetString(_bytes, (int)o, end - (int)o);
    }
}
