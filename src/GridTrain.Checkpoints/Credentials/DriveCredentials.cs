using System.Text.Json;
using Google.Apis.Auth.OAuth2;
using Google.Apis.Auth.OAuth2.Flows;
using Google.Apis.Auth.OAuth2.Responses;
using GridTrain.Checkpoints.Drive;

namespace GridTrain.Checkpoints.Credentials;

/// <summary>
/// Loads the agent's Drive credentials: a service account key (write into a shared drive), an OAuth
/// <c>authorized_user</c> file with a refresh token (a person's own Drive), or application default credentials.
/// From <see cref="DriveOptions.CredentialsFile"/>, else the JSON in <c>$GRIDTRAIN_DRIVE_CREDENTIALS_JSON</c>
/// (a Kubernetes Secret as an environment variable), else ADC (<c>$GOOGLE_APPLICATION_CREDENTIALS</c>, gcloud, the
/// metadata server). The secret never leaves this process and is never logged: errors name the file and the field only.
/// </summary>
public static class DriveCredentials
{
    /// <summary>Environment variable that may hold the credentials JSON itself.</summary>
    public const string JsonVariable = "GRIDTRAIN_DRIVE_CREDENTIALS_JSON";

    /// <summary>Full read/write access to the files in Drive the credential can reach.</summary>
    public const string DriveScope = "https://www.googleapis.com/auth/drive";

    private const string DefaultTokenUri = "https://oauth2.googleapis.com/token";

    /// <summary>Loads the credentials; <see cref="InvalidOperationException"/> says what is wrong without quoting secrets.</summary>
    public static IAccessTokenSource Load(DriveOptions options)
    {
        if (!string.IsNullOrEmpty(options.CredentialsFile))
        {
            string text;
            try
            {
                text = File.ReadAllText(options.CredentialsFile);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new InvalidOperationException($"Drive credentials: cannot read {options.CredentialsFile} ({ex.GetType().Name}); check --drive-credentials", ex);
            }

            return FromJson(text, options.CredentialsFile);
        }

        if (Environment.GetEnvironmentVariable(JsonVariable) is { Length: > 0 } json)
        {
            return FromJson(json, "$" + JsonVariable);
        }

        try
        {
            return new GoogleTokenSource(GoogleCredential.GetApplicationDefault().CreateScoped(DriveScope), "application default credentials");
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidOperationException(
                "No Drive credentials: set --drive-credentials FILE (Drive:CredentialsFile), $" + JsonVariable +
                " or application default credentials ($GOOGLE_APPLICATION_CREDENTIALS). " + ex.Message, ex);
        }
    }

    /// <summary>Parses a credentials JSON; <paramref name="source"/> names where it came from in errors.</summary>
    public static IAccessTokenSource FromJson(string json, string source)
    {
        string type;
        try
        {
            using var document = JsonDocument.Parse(json);
            type = document.RootElement.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";
            if (type == "authorized_user")
            {
                return AuthorizedUser(document.RootElement, source);
            }
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"{source} is not valid JSON (line {ex.LineNumber})", ex);
        }

        return type switch
        {
            "service_account" => ServiceAccount(json, source),
            _ => throw new InvalidOperationException(
                $"{source}: \"type\" must be \"service_account\" or \"authorized_user\", got \"{type}\""),
        };
    }

    /// <summary>A service account key file (client_email, private_key, token_uri), as the Cloud console downloads it.</summary>
    private static GoogleTokenSource ServiceAccount(string json, string source)
    {
        ServiceAccountCredential credential;
        try
        {
            credential = CredentialFactory.FromJson<ServiceAccountCredential>(json);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException or System.Security.Cryptography.CryptographicException)
        {
            // Google's messages name what is missing, never the key itself.
            throw new InvalidOperationException($"{source}: not a usable service account key file (it needs \"client_email\" and \"private_key\" as downloaded from the Cloud console): {ex.Message}", ex);
        }

        return new GoogleTokenSource(credential.ToGoogleCredential().CreateScoped(DriveScope), "service account");
    }

    /// <summary>
    /// An <c>authorized_user</c> file (as written by <c>gcloud auth application-default login</c>): client_id,
    /// client_secret, refresh_token, and optionally token_uri.
    /// </summary>
    private static GoogleTokenSource AuthorizedUser(JsonElement root, string source)
    {
        string Required(string name) =>
            root.TryGetProperty(name, out var value) && value.GetString() is { Length: > 0 } text
                ? text
                : throw new InvalidOperationException($"{source}: an authorized_user file needs \"{name}\"");

        var tokenUri = root.TryGetProperty("token_uri", out var uri) && uri.GetString() is { Length: > 0 } u ? u : DefaultTokenUri;
        var flow = new AuthorizationCodeFlow(new AuthorizationCodeFlow.Initializer("https://accounts.google.com/o/oauth2/v2/auth", tokenUri)
        {
            ClientSecrets = new ClientSecrets { ClientId = Required("client_id"), ClientSecret = Required("client_secret") },
            Scopes = [DriveScope],
        });
        var credential = new UserCredential(flow, "gridtrain", new TokenResponse { RefreshToken = Required("refresh_token") });
        return new GoogleTokenSource(credential, "authorized user");
    }
}
