using System.Text.Json;
using Spokes.Api.Errors;
using Spokes.Api.Models;

namespace Spokes.Api.Messaging;

/// <summary>
/// Stoat's GitHub webhook: a GitHub event (its name from <c>X-GitHub-Event</c>, its JSON payload) told as one embed,
/// in Stoat's wording and colours. Events and actions Stoat does not tell make no message; an unknown event name or
/// a payload without the fields the event needs is <c>InvalidOperation</c>, as in Stoat.
/// </summary>
public static class GitHubEventEmbed
{
    public const string Green = "#0f890f";
    public const string Red = "#e73e3e";
    public const string Grey = "#202224";
    public const string Blue = "#279adc";
    public const string Orange = "#d76a34";
    public const string LightOrange = "#d9916d";

    private static readonly HashSet<string> KnownEvents =
        ["star", "ping", "push", "commit_comment", "create", "delete", "discussion", "discussion_comment", "fork", "issue_comment", "issues", "pull_request"];

    /// <summary>The embed to post, or null when the event is told with no message.</summary>
    public static SendableEmbed? From(string eventName, string payload)
    {
        if (!KnownEvents.Contains(eventName)) throw StoatException.InvalidOperation();
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payload);
        }
        catch (JsonException)
        {
            throw StoatException.InvalidOperation();
        }
        using (document)
        {
            var root = Object(document.RootElement);
            // Every event Stoat reads names its sender and repository, ping included.
            var sender = Object(Field(root, "sender"));
            var repository = Text(Object(Field(root, "repository")), "full_name");
            var repositoryUrl = Text(Field(root, "repository"), "html_url");
            var action = root.TryGetProperty("action", out var given) && given.ValueKind == JsonValueKind.String ? given.GetString() : null;

            SendableEmbed BySender(string description, string colour) => Embed(sender, description, colour);

            return eventName switch
            {
                "star" => action == "created" ? BySender($"#### [[{repository}] New star added]({repositoryUrl})", Grey) : null,
                "ping" => null,
                "push" => Push(root, repository, sender),
                "commit_comment" => CommitComment(Object(Field(root, "comment")), repository, sender),
                "create" => BySender($"#### [{repository}] New {Text(root, "ref_type")} created: {Text(root, "ref")}", Grey),
                "delete" => BySender($"#### [{repository}] {Text(root, "ref_type")} deleted: {Text(root, "ref")}", Grey),
                "discussion" => Discussion(root, action, repository, sender),
                "discussion_comment" when action == "created" => DiscussionComment(root, repository),
                "fork" => BySender($"#### [[{repository}] Fork created: {Text(Field(root, "forkee"), "full_name")}]({Text(Field(root, "forkee"), "html_url")})", Grey),
                "issues" => Issue(root, action, repository, sender),
                "issue_comment" when action == "created" => IssueComment(root, repository, sender),
                "pull_request" => PullRequest(root, action, repository, sender),
                _ => null,
            };
        }
    }

    private static SendableEmbed Push(JsonElement root, string repository, JsonElement sender)
    {
        // refs/heads/feature/x is branch feature/x.
        var branch = string.Join('/', Text(root, "ref").Split('/').Skip(2));
        var compare = Text(root, "compare");
        if (Bool(root, "forced"))
            return Embed(sender, $"#### [{repository}] Branch {branch} was force-pushed to {ShortSha(Text(root, "after"))}\n[compare changes]({compare})", Red);
        var commits = Array(Field(root, "commits"));
        var lines = commits.Select(commit =>
            $"[`{ShortSha(Text(commit, "id"))}`]({Text(commit, "url")}) {ShortenFirstLine(Text(commit, "message"), 50)} - {Text(Field(commit, "author"), "name")}");
        var title = $"[[{repository}:{branch}] {commits.Count} new commit]({compare})";
        return Embed(sender, $"#### {title}\n{Shorten(string.Join('\n', lines), 1000)}", Blue);
    }

    private static SendableEmbed CommitComment(JsonElement comment, string repository, JsonElement sender)
    {
        var commit = comment.TryGetProperty("commit_id", out var id) && id.ValueKind == JsonValueKind.String ? ShortSha(id.GetString()!) : "";
        return Embed(sender,
            $"#### [[{repository}] New comment on commit `{commit}`]({Text(comment, "html_url")})\n{Shorten(Text(comment, "body"), 450)}", Grey);
    }

    private static SendableEmbed? Discussion(JsonElement root, string? action, string repository, JsonElement sender)
    {
        if (action is not ("created" or "answered")) return null;
        var discussion = Object(Field(root, "discussion"));
        var number = Number(discussion, "number");
        var title = Text(discussion, "title");
        if (action == "created")
            return Embed(sender,
                $"#### [[{repository}] New discussion #{number}: {title}]({Text(discussion, "html_url")})\n{Shorten(Text(discussion, "body"), 450)}", LightOrange);
        // The answer is told as its author's.
        var answer = Object(Field(root, "answer"));
        return Embed(Object(Field(answer, "user")),
            $"#### [[{repository}] Discussion #{number} marked answered: {title}]({Text(answer, "html_url")})\n{Shorten(Text(answer, "body"), 450)}", LightOrange);
    }

    private static SendableEmbed DiscussionComment(JsonElement root, string repository)
    {
        var comment = Object(Field(root, "comment"));
        var discussion = Object(Field(root, "discussion"));
        return Embed(Object(Field(comment, "user")),
            $"#### [[{repository}] New comment on discussion #{Number(discussion, "number")}: {Text(discussion, "title")}]({Text(comment, "html_url")})\n" +
            Shorten(Text(comment, "body"), 450), LightOrange);
    }

    private static SendableEmbed? Issue(JsonElement root, string? action, string repository, JsonElement sender)
    {
        if (action is not ("closed" or "opened" or "reopened")) return null;
        var issue = Object(Field(root, "issue"));
        return OpenedOrClosed("Issue", issue, Number(issue, "number"), action, repository, sender);
    }

    private static SendableEmbed IssueComment(JsonElement root, string repository, JsonElement sender)
    {
        var comment = Object(Field(root, "comment"));
        var issue = Object(Field(root, "issue"));
        return Embed(sender,
            $"#### [[{repository}] New comment on issue #{Number(issue, "number")}: {Text(issue, "title")}]({Text(comment, "html_url")})\n" +
            Shorten(Text(comment, "body"), 450), LightOrange);
    }

    private static SendableEmbed? PullRequest(JsonElement root, string? action, string repository, JsonElement sender)
    {
        if (action is not ("closed" or "opened" or "reopened")) return null;
        return OpenedOrClosed("Pull Request", Object(Field(root, "pull_request")), Number(root, "number"), action, repository, sender);
    }

    /// <summary>Issues and pull requests are told alike: closed, opened with their body, or reopened.</summary>
    private static SendableEmbed OpenedOrClosed(string kind, JsonElement item, uint number, string action, string repository, JsonElement sender)
    {
        var heading = $"#{number}: {Text(item, "title")}]({Text(item, "html_url")})";
        return action switch
        {
            "closed" => Embed(sender, $"#### [[{repository}] {kind} Closed {heading}", Grey),
            "opened" => Embed(sender, $"#### [[{repository}] {kind} Opened {heading}\n{Shorten(OptionalText(item, "body"), 450)}", Orange),
            _ => Embed(sender, $"#### [[{repository}] {kind} Reopened {heading}", Green),
        };
    }

    /// <summary>Told as the GitHub user's: their name as the title, their avatar as the icon, their page as the link.</summary>
    private static SendableEmbed Embed(JsonElement user, string description, string colour) =>
        new(Text(user, "avatar_url"), Text(user, "html_url"), Text(user, "login"), description, null, colour);

    /// <summary>A text cut to <paramref name="length"/> characters, its end marked "...", never splitting a surrogate pair.</summary>
    public static string Shorten(string text, int length) => text.Length < length ? text : Cut(text, length - 3) + "...";

    /// <summary>The first line of a commit message, shortened; "..." tells that more lines follow.</summary>
    public static string ShortenFirstLine(string text, int length)
    {
        var newline = text.IndexOf('\n');
        if (newline < 0) return text.Length > length ? Cut(text, length - 3) + "..." : text;
        var first = text[..newline];
        return Cut(first, length - 3) + "...";
    }

    private static string Cut(string text, int length)
    {
        if (text.Length <= length) return text;
        return char.IsHighSurrogate(text[length - 1]) ? text[..(length - 1)] : text[..length];
    }

    private static string ShortSha(string sha) => sha.Length >= 8 ? sha[..8] : throw StoatException.InvalidOperation();

    private static JsonElement Field(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var value) ? value : throw StoatException.InvalidOperation();

    private static JsonElement Object(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object ? element : throw StoatException.InvalidOperation();

    private static List<JsonElement> Array(JsonElement element) =>
        element.ValueKind == JsonValueKind.Array ? element.EnumerateArray().ToList() : throw StoatException.InvalidOperation();

    private static string Text(JsonElement parent, string name) =>
        Field(parent, name) is { ValueKind: JsonValueKind.String } value ? value.GetString()! : throw StoatException.InvalidOperation();

    private static string OptionalText(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";

    private static uint Number(JsonElement parent, string name) =>
        Field(parent, name) is { ValueKind: JsonValueKind.Number } value && value.TryGetUInt32(out var number) ? number : throw StoatException.InvalidOperation();

    private static bool Bool(JsonElement parent, string name) =>
        Field(parent, name) is { ValueKind: JsonValueKind.True or JsonValueKind.False } value ? value.GetBoolean() : throw StoatException.InvalidOperation();
}
