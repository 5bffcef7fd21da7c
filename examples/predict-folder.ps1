<#
.SYNOPSIS
    Reads the digit in every image of a folder and summarizes what was found.
.DESCRIPTION
    Predicts all images in -Folder (with -Recurse, in subfolders too) in batched passes, prints how
    many of each digit were read and which images were unclear, and returns the predictions.
    With -CsvPath it also saves them as CSV (Path, Digit, Confidence, LowConfidence, Reason).
.EXAMPLE
    ./examples/predict-folder.ps1 ./scans -Recurse -CsvPath ./scans.csv
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory, Position = 0)]
    [string] $Folder,
    [switch] $Recurse,
    [string] $ModelPath,
    [double] $MinimumConfidence = 0.5,
    [string] $CsvPath
)
$ErrorActionPreference = 'Stop'

$options = @{ MinimumConfidence = $MinimumConfidence }
if ($ModelPath) { $options.ModelPath = $ModelPath }

# Get-DigitPrediction reads folders itself; -Recurse goes through Get-ChildItem instead.
$predictions = if ($Recurse) {
    Get-ChildItem -LiteralPath $Folder -Recurse -File | Get-DigitPrediction @options -ErrorAction Continue
} else {
    Get-DigitPrediction -LiteralPath $Folder @options -ErrorAction Continue
}

$predictions | Where-Object { $null -ne $_.Digit } | Group-Object Digit | Sort-Object { [int]$_.Name } |
    Select-Object @{ n = 'Digit'; e = { [int]$_.Name } }, Count | Format-Table | Out-Host
$unclear = @($predictions | Where-Object LowConfidence)
if ($unclear.Count) {
    Write-Host "$($unclear.Count) image(s) unclear:"
    $unclear | Format-Table | Out-Host
}
if ($CsvPath) {
    $predictions | Select-Object Path, Digit, Confidence, LowConfidence, Reason | Export-Csv -LiteralPath $CsvPath -NoTypeInformation
    Write-Host "Saved $CsvPath"
}
$predictions
