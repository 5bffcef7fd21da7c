namespace HandWrite.Core.Native;

/// <summary>What the CPU offers that changes how fast we can train.</summary>
public static class CpuInfo
{
    static readonly Lazy<(string Model, string[] Flags)> Info = new(() =>
    {
        try
        {
            var lines = File.ReadLines("/proc/cpuinfo").Take(64).ToList();
            string Field(string name) => lines.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "";
            return (Field("model name"), Field("flags").Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }
        catch (IOException) { return ("unknown", []); }
        catch (UnauthorizedAccessException) { return ("unknown", []); }
    });

    public static string Model => Info.Value.Model;
    public static IReadOnlyList<string> Flags => Info.Value.Flags;

    /// <summary>AVX-512 BF16 or AMX: bfloat16 matmul and convolution run several times faster than fp32.</summary>
    public static bool HasNativeBFloat16 => Flags.Contains("avx512_bf16") || Flags.Contains("amx_bf16");

    /// <summary>The vector and matrix extensions that matter to libtorch, for reports.</summary>
    public static string Summary => string.Join(" ", Flags.Where(f => f is "avx2" or "fma" or "avx512f" or "avx512_bf16" or "avx512_vnni" or "amx_bf16" or "amx_tile"));
}
