<#
.SYNOPSIS
    Tests several models on the same data and ranks them.
.DESCRIPTION
    Tests each model (.hwm files, or every .hwm in the folders given) on the MNIST test set, or on
    -LabeledFolder (<folder>/<digit>/<image>), and lists them best first, with how each was trained.
.EXAMPLE
    ./examples/compare-models.ps1 ./models
.EXAMPLE
    ./examples/compare-models.ps1 a.hwm, b.hwm -LabeledFolder ./my-digits
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory, Position = 0)]
    [string[]] $Path,
    [string] $DataPath,
    [string] $LabeledFolder
)
$ErrorActionPreference = 'Stop'

$testing = @{}
if ($LabeledFolder) { $testing.LabeledFolder = $LabeledFolder }
elseif ($DataPath) { $testing.DataPath = $DataPath }

$models = Get-ChildItem -Path $Path -Filter *.hwm -File
if (-not $models) { throw "No .hwm model files in $($Path -join ', '). Train one with Invoke-DigitTraining -ModelPath <file>.hwm." }

$ranking = foreach ($model in $models | Get-DigitModel) {
    $test = $model | Test-DigitModel @testing
    [pscustomobject]@{
        Model              = $model.Name
        TestAccuracy       = $test.Accuracy
        ValidationAccuracy = $model.ValidationAccuracy
        Epochs             = $model.Epochs
        Preset             = $model.Preset
        TrainedAt          = $model.TrainedAt
        Path               = $model.Path
    }
}
$ranking = @($ranking | Sort-Object TestAccuracy -Descending)
$ranking | Format-Table Model, @{ n = 'TestAccuracy'; e = { $_.TestAccuracy.ToString('P2') }; a = 'right' },
    @{ n = 'ValidationAccuracy'; e = { if ($null -ne $_.ValidationAccuracy) { $_.ValidationAccuracy.ToString('P2') } }; a = 'right' }, Epochs, Preset, TrainedAt | Out-Host
$ranking
