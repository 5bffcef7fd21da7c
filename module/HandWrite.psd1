@{
    RootModule        = 'HandWrite.PowerShell.dll'
    ModuleVersion     = '0.1.0'
    GUID              = '5b0f3c8e-7d0c-4f4e-9a51-2f3b8f6d9a10'
    Author            = 'HandWrite developers'
    Description       = 'Handwritten digit recognition for PowerShell: train, test and use a convolutional network (TorchSharp) on MNIST and your own images.'
    PowerShellVersion = '7.6'
    CompatiblePSEditions = @('Core')
    FormatsToProcess  = @('HandWrite.Format.ps1xml')
    CmdletsToExport   = @('Invoke-DigitTraining', 'Test-DigitModel', 'Get-DigitPrediction', 'Get-DigitModel', 'Measure-DigitModel')
    FunctionsToExport = @()
    AliasesToExport   = @()
    VariablesToExport = @()
    PrivateData       = @{ PSData = @{ Tags = @('MNIST', 'DigitRecognition', 'TorchSharp', 'CNN') } }
}
