namespace HandWrite.Core;

/// <summary>Where HandWrite keeps things when the user does not say. One place, documented in README.</summary>
public static class Paths
{
    public const string ModelPathVariable = "HANDWRITE_MODEL";
    public const string DataPathVariable = "HANDWRITE_DATA";
    public const string HomeVariable = "HANDWRITE_HOME";

    /// <summary>$HANDWRITE_HOME, else the per-user data folder (~/.local/share/HandWrite on Linux).</summary>
    public static string HomeDirectory =>
        Environment.GetEnvironmentVariable(HomeVariable) is { Length: > 0 } home
            ? home
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "HandWrite");

    public static string CacheDirectory => Path.Combine(HomeDirectory, "cache");

    /// <summary>Where MNIST is stored when no -DataPath or $HANDWRITE_DATA is given.</summary>
    public static string DefaultDataDirectory =>
        Environment.GetEnvironmentVariable(DataPathVariable) is { Length: > 0 } data ? data : Path.Combine(HomeDirectory, "mnist");

    /// <summary>Where training writes unless -ModelPath says otherwise, and the user's own model: $HANDWRITE_MODEL, else HomeDirectory/handwrite.hwm.</summary>
    public static string DefaultModelPath =>
        Environment.GetEnvironmentVariable(ModelPathVariable) is { Length: > 0 } model ? model : Path.Combine(HomeDirectory, "handwrite.hwm");

    /// <summary>The model shipped with the module (trained by README's recipe), beside HandWrite.Core.dll; absent in a build without it.</summary>
    public static string ShippedModelPath => Path.Combine(Path.GetDirectoryName(typeof(Paths).Assembly.Location)!, ShippedModelFileName);

    public const string ShippedModelFileName = "HandWrite.default.hwm";

    /// <summary>
    /// The model cmdlets read unless -ModelPath says otherwise: $HANDWRITE_MODEL, else the user's own model when it
    /// exists, else the shipped one when it exists, else the user's path (whose absence the error then names).
    /// </summary>
    public static string ModelToRead =>
        Environment.GetEnvironmentVariable(ModelPathVariable) is { Length: > 0 } ? DefaultModelPath
        : File.Exists(DefaultModelPath) || !File.Exists(ShippedModelPath) ? DefaultModelPath
        : ShippedModelPath;
}
