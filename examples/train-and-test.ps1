<#
.SYNOPSIS
    Trains a digit model on MNIST, tests it, and writes charts of the result.
.DESCRIPTION
    Invoke-DigitTraining | Test-DigitModel, with the per-digit scores and the report charts
    (training curve, confusion matrix, misclassified digits) gathered in -ReportFolder.
    Run it in pwsh after Import-Module out/HandWrite/HandWrite.psd1.
.EXAMPLE
    ./examples/train-and-test.ps1 -Epochs 3 -ModelPath ./three.hwm
#>
[CmdletBinding()]
param(
    [int] $Epochs = 10,
    # Where to save the model; the default model path when left out.
    [string] $ModelPath,
    # Folder with the MNIST files; downloaded to the per-user folder when left out.
    [string] $DataPath,
    # Train on only this many images, for a quick look.
    [int] $Subset,
    [int] $ValidationSize = 5000,
    [string] $ReportFolder = './handwrite-report'
)
$ErrorActionPreference = 'Stop'

# Pass through only what the caller gave, so the cmdlets' own defaults apply otherwise.
$training = @{}
foreach ($name in 'Epochs', 'ModelPath', 'DataPath', 'Subset', 'ValidationSize') {
    if ($PSBoundParameters.ContainsKey($name)) { $training[$name] = $PSBoundParameters[$name] }
}
$testing = @{ ReportFolder = $ReportFolder }
if ($DataPath) { $testing.DataPath = $DataPath }

$run = Invoke-DigitTraining @training
$result = $run | Test-DigitModel @testing

$chosen = if ($null -eq $run.BestValidationAccuracy) { 'no validation images, so the last epoch ({0}) is kept' -f $run.BestEpoch }
          else { 'best validation accuracy {0:P2} at epoch {1}' -f $run.BestValidationAccuracy, $run.BestEpoch }
Write-Host ("Trained {0} epoch(s) in {1:hh\:mm\:ss}; {2}." -f $run.History.Count, $run.Duration, $chosen)
Write-Host ("Test accuracy on {0}: {1:P2} ({2} of {3})." -f $result.DataSet, $result.Accuracy, $result.Correct, $result.Count)
$run.History | Format-Table | Out-Host
$result.PerClass | Sort-Object F1 | Format-Table | Out-Host
Write-Host "Charts: $(@($run.CurvePath) + $result.ReportFiles -join ', ')"
$result
