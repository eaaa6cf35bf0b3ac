# Renders environment variables as an env file that `fastscaler --env-file` reads: a comment line, then one KEY=VALUE
# line per variable, sorted. A value is written bare when it holds nothing a dotenv reader treats specially, else in
# single quotes (literal), else in double quotes with \ " $ and newlines escaped (\\ \" \$ \n). It has no provider
# and no resource, so the module's tests plan it alone with awkward values (env_file_test.go).

terraform {
  required_version = ">= 1.6"
}

variable "environment" {
  description = "The variables, by name."
  type        = map(string)
}

variable "comment" {
  description = "The first line's comment (without #), one line."
  type        = string

  validation {
    condition     = !strcontains(var.comment, "\n")
    error_message = "comment must be one line."
  }
}

output "text" {
  description = "The env file."
  value = join("", concat(["# ${var.comment}\n"], [
    for k in sort(keys(var.environment)) : format("%s=%s\n", k, (
      can(regex("^[A-Za-z0-9_./:,@%+=-]+$", var.environment[k])) ? var.environment[k] :
      !strcontains(var.environment[k], "'") && !strcontains(var.environment[k], "\n") ? "'${var.environment[k]}'" :
      "\"${replace(replace(replace(replace(var.environment[k], "\\", "\\\\"), "\"", "\\\""), "$", "\\$"), "\n", "\\n")}\""
    ))
  ]))
}
