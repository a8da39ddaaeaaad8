// Starts GraphiQL (a file, not an inline script, so the page's CSP can forbid inline scripts).
(function () {
  var defaultQuery = [
    '# khuyencong GraphQL API',
    '#',
    '# EN: Log in with the `login` mutation, then put',
    '#     {"Authorization": "Bearer <accessToken>"}',
    '#     in the Headers tab below.',
    '#',
    '# VI: Đăng nhập bằng mutation `login`, rồi đặt',
    '#     {"Authorization": "Bearer <accessToken>"}',
    '#     vào tab Headers bên dưới.',
    '',
    'query {',
    '  provinces {',
    '    code',
    '    name',
    '    region',
    '  }',
    '}',
    '',
  ].join('\n');

  var fetcher = GraphiQL.createFetcher({ url: '/graphql' });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      defaultEditorToolsVisibility: 'headers',
    }),
  );
})();
