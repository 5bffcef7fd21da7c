namespace HandWrite.Core.Data;

/// <summary>Progress of obtaining or reading data, shaped for Write-Progress.</summary>
public sealed record DataProgress(string Activity, string Status, int PercentComplete);
