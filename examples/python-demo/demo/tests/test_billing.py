import unittest

from demo.tests import _work


class TestSharedBilling0(unittest.TestCase):
    """Tests that share an expensive fixture: baton keeps them on one worker, in order."""

    @classmethod
    def setUpClass(cls):
        _work.sleep(0.2)
        cls.fixture = {"ready": True}

    def test_create_0(self):
        self.assertTrue(self.fixture["ready"])
        _work.sleep(0.219)
        self.assertEqual(0 + 1, 1)

    def test_read_1(self):
        self.assertTrue(self.fixture["ready"])
        _work.sleep(0.292)
        self.assertEqual(1 + 1, 2)

    def test_update_2(self):
        self.assertTrue(self.fixture["ready"])
        _work.sleep(0.188)
        self.assertEqual(2 + 1, 3)

    def test_delete_3(self):
        self.assertTrue(self.fixture["ready"])
        _work.sleep(0.184)
        self.assertEqual(3 + 1, 4)

    def test_list_4(self):
        self.assertTrue(self.fixture["ready"])
        _work.sleep(0.296)
        self.assertEqual(4 + 1, 5)

    def test_filter_5(self):
        self.assertTrue(self.fixture["ready"])
        _work.crunch(9450)
        _work.sleep(0.233)
        self.assertEqual(5 + 1, 6)

    def test_sort_6(self):
        self.assertTrue(self.fixture["ready"])
        _work.sleep(0.105)
        self.assertEqual(6 + 1, 7)

    def test_page_7(self):
        self.assertTrue(self.fixture["ready"])
        _work.sleep(0.228)
        self.assertEqual(7 + 1, 8)

    def test_export_8(self):
        self.assertTrue(self.fixture["ready"])
        _work.sleep(0.259)
        self.assertEqual(8 + 1, 9)

    def test_validate_9(self):
        self.assertTrue(self.fixture["ready"])
        _work.sleep(0.314)
        self.assertEqual(9 + 1, 10)

    def test_retry_10(self):
        self.assertTrue(self.fixture["ready"])
        _work.sleep(0.279)
        self.assertEqual(10 + 1, 11)

    def test_timeout_11(self):
        self.assertTrue(self.fixture["ready"])
        _work.sleep(0.112)
        self.assertEqual(11 + 1, 12)

    def test_render_12(self):
        self.assertTrue(self.fixture["ready"])
        _work.sleep(0.275)
        self.assertEqual(12 + 1, 13)


class TestBilling1(unittest.TestCase):
    def test_create_0(self):
        _work.sleep(0.006)
        self.assertEqual(0 + 1, 1)

    def test_read_1(self):
        _work.sleep(0.006)
        self.assertEqual(1 + 1, 2)

    def test_update_2(self):
        _work.sleep(0.565)
        self.assertEqual(2 + 1, 3)

    def test_delete_3(self):
        _work.sleep(0.009)
        self.assertEqual(3 + 1, 4)

    def test_list_4(self):
        _work.sleep(0.002)
        self.assertEqual(4 + 1, 5)

    def test_filter_5(self):
        _work.sleep(0.032)
        self.assertEqual(5 + 1, 6)

    def test_sort_6(self):
        _work.sleep(0.078)
        self.assertEqual(6 + 1, 7)

    def test_page_7(self):
        _work.sleep(0.002)
        self.assertEqual(7 + 1, 8)

    def test_export_8(self):
        _work.sleep(0.006)
        self.assertEqual(8 + 1, 9)

    def test_validate_9(self):
        _work.crunch(12928)
        _work.sleep(0.012)
        self.assertEqual(9 + 1, 10)

    def test_retry_10(self):
        _work.sleep(0.01)
        self.assertEqual(10 + 1, 11)

    def test_timeout_11(self):
        _work.sleep(0.146)
        self.assertEqual(11 + 1, 12)

    def test_render_12(self):
        _work.crunch(12130)
        _work.sleep(0.031)
        self.assertEqual(12 + 1, 13)

    def test_merge_13(self):
        _work.sleep(0.01)
        self.assertEqual(13 + 1, 14)


class TestBilling2(unittest.TestCase):
    def test_create_0(self):
        _work.sleep(0.004)
        self.assertEqual(0 + 1, 1)

    def test_read_1(self):
        _work.sleep(0.005)
        self.assertEqual(1 + 1, 2)

    def test_update_2(self):
        _work.sleep(0.008)
        self.assertEqual(2 + 1, 3)

    def test_delete_3(self):
        _work.sleep(0.059)
        self.assertEqual(3 + 1, 4)

    def test_list_4(self):
        _work.sleep(0.019)
        self.assertEqual(4 + 1, 5)

    def test_filter_5(self):
        _work.sleep(0.006)
        self.assertEqual(5 + 1, 6)

    def test_sort_6(self):
        _work.crunch(18095)
        _work.sleep(0.015)
        self.assertEqual(6 + 1, 7)

    def test_page_7(self):
        _work.crunch(7514)
        _work.sleep(0.013)
        self.assertEqual(7 + 1, 8)

    def test_export_8(self):
        _work.sleep(0.09)
        self.assertEqual(8 + 1, 9)

    def test_validate_9(self):
        _work.sleep(0.124)
        self.assertEqual(9 + 1, 10)

    def test_retry_10(self):
        _work.sleep(0.006)
        self.assertEqual(10 + 1, 11)

    def test_timeout_11(self):
        _work.sleep(0.016)
        self.assertEqual(11 + 1, 12)

    def test_render_12(self):
        _work.sleep(0.017)
        self.assertEqual(12 + 1, 13)
