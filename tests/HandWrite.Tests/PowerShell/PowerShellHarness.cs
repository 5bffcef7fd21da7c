using System.Collections;
using System.Diagnostics;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Text;

namespace HandWrite.Tests.PowerShell;

/// <summary>
/// Runs HandWrite the way users do: the assembled module (out/HandWrite) imported into the real
/// PowerShell engine in-process, or the handwrite host as a child process.
/// </summary>
public static class PowerShellHarness
{
    public static string RepoRoot => TestEnvironment.RepoRoot;

    public static string ModuleManifest => TestEnvironment.ModuleManifest;

    /// <summary>Release or Debug: the configuration these tests were built in (the host is built alongside).</summary>
    public static string Configuration { get; } =
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    public static string HostDll => Path.Combine(RepoRoot, "src", "HandWrite.Host", "bin", Configuration, "net10.0", "handwrite.dll");

    /// <summary>The `pwsh` the host's build puts at its $PSHOME: it starts handwrite as a remoting server (Start-Job, SSH).</summary>
    public static string HostJobLauncher => Path.Combine(Path.GetDirectoryName(HostDll)!, "runtimes", "unix", "lib", "net10.0", "pwsh");

    public static string MnistPath => TestEnvironment.MnistFolder;

    /// <summary>Real hand-drawn digits, &lt;set&gt;/&lt;digit&gt;/&lt;file&gt;.png, beside the checkout.</summary>
    public static string WildDigitsPath => TestEnvironment.WildDigitsFolder;

    /// <summary>A runspace with the default cmdlets and the assembled HandWrite module imported, in <paramref name="location"/>.</summary>
    public static System.Management.Automation.PowerShell CreateShell(string? location = null)
    {
        Assert.True(File.Exists(ModuleManifest), $"{ModuleManifest} is missing: build the solution first.");
        var state = InitialSessionState.CreateDefault2();
        state.ImportPSModule(ModuleManifest);
        var shell = System.Management.Automation.PowerShell.Create(state);
        if (location is not null) shell.AddCommand("Set-Location").AddParameter("LiteralPath", location).Invoke();
        shell.Commands.Clear();
        return shell;
    }

    /// <summary>Runs a script (with named parameters passed as $args-free variables via param()) and collects every stream.</summary>
    public static ShellRun Run(string script, IDictionary? parameters = null, string? location = null)
    {
        using var shell = CreateShell(location);
        shell.AddScript(script);
        if (parameters is not null) shell.AddParameters(parameters);
        var output = shell.Invoke().ToList();
        return new ShellRun(output, shell.Streams.Error.ToList(), shell.Streams.Verbose.Select(v => v.Message).ToList(),
            shell.Streams.Information.Select(i => i.MessageData?.ToString() ?? "").ToList(), shell.Streams.Progress.ToList(), shell.HadErrors);
    }

    /// <summary>Runs the handwrite host with <paramref name="args"/>, output redirected and no terminal, as CI does.</summary>
    public static HostRun RunHost(IEnumerable<string> args, IDictionary<string, string>? environment = null, TimeSpan? timeout = null, string? workingDirectory = null)
    {
        Assert.True(File.Exists(HostDll), $"{HostDll} is missing: build the solution first.");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? RepoRoot,
        };
        start.ArgumentList.Add(HostDll);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["NO_COLOR"] = "1";
        if (environment is not null)
            foreach (var (name, value) in environment) start.Environment[name] = value;

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"handwrite {string.Join(' ', args)} did not exit in time. Output so far:\n{stdout}\n{stderr}");
        }
        process.WaitForExit(); // drain the async readers
        return new HostRun(process.ExitCode, stdout.ToString(), stderr.ToString());
    }
}

public sealed record ShellRun(List<PSObject> Output, List<ErrorRecord> Errors, List<string> Verbose, List<string> Information,
    List<ProgressRecord> Progress, bool HadErrors)
{
    /// <summary>Fails with the errors' messages when the run wrote any error.</summary>
    public ShellRun AssertNoErrors()
    {
        Assert.True(Errors.Count == 0, "Unexpected errors:\n" + string.Join("\n", Errors.Select(e => $"{e.FullyQualifiedErrorId}: {e.ErrorDetails?.Message ?? e.Exception.Message}\n{e.ScriptStackTrace}")));
        return this;
    }
}

public sealed record HostRun(int ExitCode, string StandardOutput, string StandardError);

public static class PSObjectExtensions
{
    /// <summary>A property's value, unwrapped from PSObject, converted as PowerShell would.</summary>
    public static T Get<T>(this PSObject o, string name)
    {
        var property = o.Properties[name] ?? throw new Xunit.Sdk.XunitException($"No property {name} on {string.Join(", ", o.TypeNames)}.");
        var value = property.Value is PSObject wrapped ? wrapped.BaseObject : property.Value;
        return LanguagePrimitives.ConvertTo<T>(value);
    }
}
