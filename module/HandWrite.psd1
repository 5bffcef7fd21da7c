@{
    RootModule           = 'HandWrite.PowerShell.dll'
    # The one place the version is set: the build gives it to the assemblies and the package (Directory.Build.props).
    ModuleVersion        = '0.1.0'
    GUID                 = '5b0f3c8e-7d0c-4f4e-9a51-2f3b8f6d9a10'
    Author               = 'HandWrite developers'
    Copyright            = '(c) 2026 HandWrite developers. MIT License.'
    Description          = 'Handwritten digit recognition for PowerShell: train, test and use a convolutional network (TorchSharp) on MNIST and your own pictures. Ships a trained model; fetches libtorch (NuGet, verified by SHA-512) once per user on first use. Linux x64 with glibc 2.29 or later.'
    # pwsh 7.6 is the first PowerShell on .NET 10, which the assemblies target.
    PowerShellVersion    = '7.6'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('HandWrite.Format.ps1xml')
    CmdletsToExport      = @('Invoke-DigitTraining', 'Test-DigitModel', 'Get-DigitPrediction', 'Get-DigitModel', 'Measure-DigitModel')
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('MNIST', 'DigitRecognition', 'HandwritingRecognition', 'TorchSharp', 'CNN', 'PSEdition_Core', 'Linux')
            ReleaseNotes = '0.1.0: first package. A trained model ships with the module; libtorch is fetched once per user on first use.'
        }
    }
}
