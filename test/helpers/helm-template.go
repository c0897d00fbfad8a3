// helm-template: renders a Helm chart's templates as `helm template` does, for machines without
// the helm binary (test/deployment.test.ts builds it with Debian's golang-go and sprig).
//
//	helm-template CHART RELEASE NAMESPACE [-f values.yaml]... [--notes]
//
// The same engine as Helm 3: Go's text/template with the Sprig functions minus env and
// expandenv, plus Helm's include, tpl, required, fail, toYaml, fromYaml, toJson, fromJson,
// toPrettyJson and lookup (which, as in `helm template`, finds nothing). Values are read as
// Helm reads them, YAML through JSON (so numbers are float64), values files merged over
// values.yaml; a missing key renders as nothing, as in Helm's non-strict mode. Templates whose
// name starts with `_` are only defined, never rendered. Not modelled: subcharts, .Files,
// .Capabilities, schema files, and hooks.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"gopkg.in/yaml.v2"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "helm-template: "+format+"\n", args...)
	os.Exit(1)
}

// toJSONish converts what yaml.v2 gives (map[interface{}]interface{}) into JSON's shapes.
func readYAML(path string) map[string]interface{} {
	raw, err := os.ReadFile(path)
	if err != nil {
		fail("%v", err)
	}
	var v interface{}
	if err := yaml.Unmarshal(raw, &v); err != nil {
		fail("%s: %v", path, err)
	}
	j, err := json.Marshal(jsonable(v))
	if err != nil {
		fail("%s: %v", path, err)
	}
	out := map[string]interface{}{}
	if err := json.Unmarshal(j, &out); err != nil && string(j) != "null" {
		fail("%s: %v", path, err)
	}
	return out
}

func jsonable(v interface{}) interface{} {
	switch t := v.(type) {
	case map[interface{}]interface{}:
		m := map[string]interface{}{}
		for k, val := range t {
			m[fmt.Sprint(k)] = jsonable(val)
		}
		return m
	case []interface{}:
		for i := range t {
			t[i] = jsonable(t[i])
		}
	}
	return v
}

// merge lays src over dst, maps deeply, as Helm coalesces values files.
func merge(dst, src map[string]interface{}) map[string]interface{} {
	for k, v := range src {
		if sm, ok := v.(map[string]interface{}); ok {
			if dm, ok := dst[k].(map[string]interface{}); ok {
				dst[k] = merge(dm, sm)
				continue
			}
		}
		if v == nil {
			delete(dst, k)
			continue
		}
		dst[k] = v
	}
	return dst
}

// toYAML is Helm's: JSON first (sigs.k8s.io/yaml), then YAML, without the trailing newline.
func toYAML(v interface{}) string {
	j, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	var generic yaml.MapSlice
	var any interface{}
	if err := yaml.Unmarshal(j, &generic); err == nil && len(j) > 0 && j[0] == '{' {
		any = generic
	} else if err := yaml.Unmarshal(j, &any); err != nil {
		return ""
	}
	out, err := yaml.Marshal(any)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(out), "\n")
}

func main() {
	if len(os.Args) < 4 {
		fail("usage: helm-template CHART RELEASE NAMESPACE [-f values.yaml]... [--notes]")
	}
	chart, release, namespace := os.Args[1], os.Args[2], os.Args[3]
	values := readYAML(filepath.Join(chart, "values.yaml"))
	notes := false
	for i := 4; i < len(os.Args); i++ {
		switch os.Args[i] {
		case "-f":
			i++
			values = merge(values, readYAML(os.Args[i]))
		case "--notes":
			notes = true
		default:
			fail("unknown argument %q", os.Args[i])
		}
	}
	meta := readYAML(filepath.Join(chart, "Chart.yaml"))
	chartObj := map[string]interface{}{}
	for k, v := range meta {
		chartObj[strings.ToUpper(k[:1])+k[1:]] = v // .Chart.Name, .Chart.AppVersion, …
	}
	name, _ := meta["name"].(string)

	funcs := sprig.TxtFuncMap()
	delete(funcs, "env")
	delete(funcs, "expandenv")
	root := template.New("gotpl").Option("missingkey=zero")
	includedNames := map[string]int{}
	funcs["include"] = func(n string, data interface{}) (string, error) {
		if includedNames[n] > 1000 {
			return "", fmt.Errorf("rendering template has a nested reference name: %s", n)
		}
		includedNames[n]++
		defer func() { includedNames[n]-- }()
		var buf bytes.Buffer
		err := root.ExecuteTemplate(&buf, n, data)
		return buf.String(), err
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		err = t.Execute(&buf, data)
		return strings.ReplaceAll(buf.String(), "<no value>", ""), err
	}
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return v, fmt.Errorf(msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return v, fmt.Errorf(msg)
		}
		return v, nil
	}
	funcs["fail"] = func(msg string) (string, error) { return "", fmt.Errorf(msg) }
	funcs["toYaml"] = toYAML
	funcs["fromYaml"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		var v interface{}
		if err := yaml.Unmarshal([]byte(s), &v); err != nil {
			m["Error"] = err.Error()
			return m
		}
		j, _ := json.Marshal(jsonable(v))
		_ = json.Unmarshal(j, &m)
		return m
	}
	funcs["toJson"] = func(v interface{}) string { j, _ := json.Marshal(v); return string(j) }
	funcs["toPrettyJson"] = func(v interface{}) string { j, _ := json.MarshalIndent(v, "", "  "); return string(j) }
	funcs["fromJson"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	funcs["lookup"] = func(apiVersion, kind, ns, n string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	root.Funcs(funcs)

	files, _ := filepath.Glob(filepath.Join(chart, "templates", "*"))
	sort.Strings(files)
	var names []string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			fail("%v", err)
		}
		n := name + "/templates/" + filepath.Base(f)
		if _, err := root.New(n).Parse(string(raw)); err != nil {
			fail("parse error: %v", err)
		}
		names = append(names, n)
	}

	for _, n := range names {
		base := filepath.Base(n)
		isNotes := base == "NOTES.txt"
		if strings.HasPrefix(base, "_") || isNotes != notes {
			continue
		}
		data := map[string]interface{}{
			"Values":   values,
			"Chart":    chartObj,
			"Release":  map[string]interface{}{"Name": release, "Namespace": namespace, "Service": "Helm", "IsInstall": true, "IsUpgrade": false, "Revision": 1},
			"Template": map[string]interface{}{"Name": n, "BasePath": name + "/templates"},
		}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, n, data); err != nil {
			fail("%v", err)
		}
		out := strings.ReplaceAll(buf.String(), "<no value>", "")
		if notes {
			fmt.Print(out)
			continue
		}
		if strings.TrimSpace(out) == "" {
			continue
		}
		fmt.Printf("---\n# Source: %s\n%s\n", n, strings.TrimSpace(out))
	}
}
