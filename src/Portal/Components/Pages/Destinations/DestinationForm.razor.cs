using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Portal.Components.Shared;
using Portal.Destinations;

namespace Portal.Components.Pages.Destinations;

/// <summary>
/// The form that defines a destination: its kind's fields as the browser sends them, saved through
/// <see cref="DestinationService"/>, whose field errors are shown next to the fields. Secrets are cleared once saved.
/// </summary>
public sealed partial class DestinationForm
{
    private const string AzureBlob = DestinationKinds.AzureBlob;
    private const string Sftp = DestinationKinds.Sftp;

    /// <summary>A private key is a few kilobytes; a larger file is not one.</summary>
    private const long MaxKeyFileBytes = 64 * 1024;

    private string _kind = "";
    private string? _name;
    private string? _team;
    private IReadOnlyList<string> _teams = [];
    private bool _useSasUrl;
    private string? _connectionString;
    private string? _containerSasUrl;
    private string? _container;
    private string? _host;
    private string? _port = "22";
    private string? _username;
    private bool _useKey;
    private string? _password;
    private string? _privateKey;
    private string? _fingerprint;
    private string? _directory;
    private string? _pathTemplate = DestinationPaths.DefaultTemplate;
    private IReadOnlyDictionary<string, string[]> _errors = new Dictionary<string, string[]>();
    private string? _formError;
    private bool _saving;

    [Inject]
    private DestinationService Destinations { get; set; } = default!;

    /// <summary>A destination was saved (its secrets are no longer in the form).</summary>
    [Parameter]
    public EventCallback<DestinationInfo> OnSaved { get; set; }

    [Parameter]
    public EventCallback OnClose { get; set; }

    protected override async Task OnInitializedAsync()
    {
        _kind = Destinations.EnabledKinds is [var first, ..] ? first : "";
        _teams = (await CurrentUser.GetAsync()).Teams;
    }

    /// <summary>A kind's name in the pages' words.</summary>
    public static string KindName(string kind) => kind switch
    {
        AzureBlob => "Azure Blob Storage",
        Sftp => "SFTP",
        _ => kind,
    };

    private string FingerprintHelp =>
        $"Required: the portal connects only to this server. Ask its owner, or run ssh-keyscan -p {(string.IsNullOrWhiteSpace(_port) ? "22" : _port.Trim())} " +
        $"{(string.IsNullOrWhiteSpace(_host) ? "HOST" : _host.Trim())} | ssh-keygen -lf - and copy the SHA256:… part.";

    private void OnKindChanged() => _errors = new Dictionary<string, string[]>();

    private string? ErrorOf(string key) => _errors.TryGetValue(key, out var messages) ? string.Join(" ", messages) : null;

    private async Task ReadKeyFileAsync(InputFileChangeEventArgs e)
    {
        try
        {
            await using var stream = e.File.OpenReadStream(MaxKeyFileBytes);
            using var reader = new StreamReader(stream);
            _privateKey = await reader.ReadToEndAsync();
            _errors = _errors.Where(p => p.Key != "privateKey").ToDictionary();
        }
        catch (IOException)
        {
            _errors = new Dictionary<string, string[]>(_errors) { ["privateKey"] = ["That file is larger than a private key: choose the key file itself (e.g. id_ed25519)."] };
        }
    }

    private DestinationInput Input()
    {
        var blob = _kind == AzureBlob;
        var sftp = _kind == Sftp;
        // A port that is not a number is sent as missing: the service says what a port must be.
        int? port = sftp && BrowserInput.TryParseInt(_port, out var p) ? p : null;
        return new DestinationInput(
            Name: _name,
            Kind: _kind,
            ConnectionString: blob && !_useSasUrl ? _connectionString : null,
            ContainerSasUrl: blob && _useSasUrl ? _containerSasUrl : null,
            Container: blob && !_useSasUrl ? _container : null,
            Host: sftp ? _host : null,
            Port: port,
            Username: sftp ? _username : null,
            Password: sftp && !_useKey ? _password : null,
            PrivateKey: sftp && _useKey ? _privateKey : null,
            HostKeyFingerprint: sftp ? _fingerprint : null,
            Directory: sftp ? _directory : null,
            PathTemplate: _pathTemplate,
            Team: _team);
    }

    private async Task SaveAsync()
    {
        _saving = true;
        _formError = null;
        try
        {
            if (_kind == Sftp && !string.IsNullOrWhiteSpace(_port) && !BrowserInput.TryParseInt(_port, out _))
            {
                _errors = new Dictionary<string, string[]> { ["port"] = ["Enter the port as a number, e.g. 22."] };
                return;
            }
            switch (await Destinations.CreateAsync(await CurrentUser.GetAsync(), Input(), CancellationToken.None))
            {
                case DestinationRegistration.Created created:
                    Clear();
                    await OnSaved.InvokeAsync(created.Destination);
                    break;
                case DestinationRegistration.Invalid invalid:
                    _errors = invalid.Errors;
                    // Errors of fields this kind does not show would otherwise go unseen.
                    var unseen = invalid.Errors.Where(e => !ShownFields.Contains(e.Key)).SelectMany(e => e.Value).ToList();
                    _formError = unseen.Count > 0
                        ? "The destination was not saved. " + string.Join(" ", unseen)
                        : "The destination was not saved. Correct the marked fields and try again.";
                    break;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _formError = PageErrors.Report(Logger, ex, "The destination could not be saved.");
        }
        finally
        {
            _saving = false;
        }
    }

    private IEnumerable<string> ShownFields => _kind switch
    {
        AzureBlob => _useSasUrl ? ["name", "kind", "containerSasUrl", "pathTemplate"] : ["name", "kind", "connectionString", "container", "pathTemplate"],
        Sftp => ["name", "kind", "host", "port", "username", _useKey ? "privateKey" : "password", "hostKeyFingerprint", "directory", "pathTemplate"],
        _ => ["name", "kind", "pathTemplate"],
    };

    /// <summary>Forgets everything typed, secrets first: they are never shown again once saved.</summary>
    private void Clear()
    {
        (_connectionString, _containerSasUrl, _password, _privateKey) = (null, null, null, null);
        (_name, _container, _host, _username, _fingerprint, _directory) = (null, null, null, null, null, null);
        _port = "22";
        _pathTemplate = DestinationPaths.DefaultTemplate;
        _errors = new Dictionary<string, string[]>();
    }
}
