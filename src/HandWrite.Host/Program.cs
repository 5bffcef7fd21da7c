using System.Management.Automation.Runspaces;
using Microsoft.PowerShell;

namespace HandWrite.Host;

/// <summary>
/// `handwrite`: PowerShell's own console host (the one pwsh uses) with the HandWrite module loaded
/// from this program's folder, so -Command, -File, -NoProfile, format views, errors, progress and
/// exit codes behave exactly as in pwsh.
/// </summary>
public static class Program
{
    const string Banner = "HandWrite: handwritten digit recognition for PowerShell. Get-Command -Module HandWrite lists the cmdlets.";

    const string Help = """
        Usage: handwrite [-NoProfile] [-NoLogo] [-NonInteractive] [-Command <script> | -File <path> [args]]

        A PowerShell session with the HandWrite module loaded. Examples:
          handwrite -Command "Invoke-DigitTraining | Test-DigitModel"
          handwrite -Command "Get-ChildItem ./digits/*.png | Get-DigitPrediction"
          handwrite -File ./examples/train-and-test.ps1
        Every pwsh command-line option works the same way; run `handwrite -?` for this text.
        """;

    /// <summary>What HandWrite.psd1 loads: RootModule and FormatsToProcess.</summary>
    static readonly string[] ModuleFiles = ["HandWrite.psd1", "HandWrite.PowerShell.dll", "HandWrite.Format.ps1xml"];

    public static int Main(string[] args)
    {
        var manifest = Path.Combine(AppContext.BaseDirectory, "HandWrite.psd1");
        // ConsoleShell hangs instead of exiting when the module fails to import, so check its files first.
        var missing = ModuleFiles.Select(f => Path.Combine(AppContext.BaseDirectory, f)).Where(f => !File.Exists(f)).ToList();
        if (missing.Count > 0)
        {
            Console.Error.WriteLine($"handwrite: {string.Join(", ", missing)} missing. Rebuild with ./build.ps1 or dotnet build.");
            return 1;
        }

        // As a remoting server (-s: Start-Job starts "$PSHOME/pwsh -s", which the build points here; -sshs: an SSH
        // subsystem for Invoke-Command -HostName) the console host builds its own sessions from defaults, not from
        // sessionState; what -Command says runs first in each of them.
        if (args.Any(a => Is(a, "-s", "-ServerMode", "-sshs", "-SSHServerMode")) && !args.Any(a => Is(a, "-c", "-Command", "-cwa", "-CommandWithArgs")))
            args = [.. args, "-Command", $"Import-Module -Name '{manifest.Replace("'", "''")}'"];

        var sessionState = InitialSessionState.CreateDefault2();
        sessionState.ImportPSModule(manifest);
        int exitCode = ConsoleShell.Start(sessionState, Banner, Help, args);
        // All work is done and every file HandWrite writes is already flushed and renamed into place.
        // libtorch's OpenMP worker threads and static destructors can race the runtime's own shutdown
        // and crash the process (SIGSEGV, seen intermittently in CI) after a successful run, turning
        // exit code 0 into 139; leave without running them.
        Console.Out.Flush();
        Console.Error.Flush();
        if (OperatingSystem.IsLinux()) _exit(exitCode);
        return exitCode;
    }

    static bool Is(string arg, params string[] names) => names.Any(n => arg.Equals(n, StringComparison.OrdinalIgnoreCase));

    [System.Runtime.InteropServices.DllImport("libc")]
    static extern void _exit(int status);
}
