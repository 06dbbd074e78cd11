namespace GridTrain.Controller.Storage.Sql;

/// <summary>What differs between the SQL databases the controller keeps its state in.</summary>
internal sealed record SqlDialect(string Name, string BigInt, string Text, string Timestamp)
{
    public static SqlDialect Sqlite { get; } = new("sqlite", "INTEGER", "TEXT", "TEXT");

    public static SqlDialect Postgres { get; } = new("postgres", "BIGINT", "TEXT", "TEXT");

    /// <summary>The schema; every statement is idempotent.</summary>
    public IEnumerable<string> Schema()
    {
        yield return $"CREATE TABLE IF NOT EXISTS gt_sessions (id {Text} PRIMARY KEY, data {Text} NOT NULL)";
        yield return $"CREATE TABLE IF NOT EXISTS gt_jobs (id {Text} PRIMARY KEY, session_id {Text} NOT NULL, data {Text} NOT NULL)";
        yield return "CREATE INDEX IF NOT EXISTS gt_jobs_session ON gt_jobs (session_id)";
        yield return $"CREATE TABLE IF NOT EXISTS gt_agents (id {Text} PRIMARY KEY, data {Text} NOT NULL)";
        yield return $"CREATE TABLE IF NOT EXISTS gt_job_events (job_id {Text} NOT NULL, sequence {BigInt} NOT NULL, data {Text} NOT NULL, PRIMARY KEY (job_id, sequence))";
        yield return $"CREATE TABLE IF NOT EXISTS gt_session_changes (session_id {Text} NOT NULL, sequence {BigInt} NOT NULL, data {Text} NOT NULL, PRIMARY KEY (session_id, sequence))";
        yield return $"CREATE TABLE IF NOT EXISTS gt_tokens (id {Text} PRIMARY KEY, data {Text} NOT NULL)";
    }
}
